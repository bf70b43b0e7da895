package io.sightline.testing.azure;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Points MSAL4J's managed identity detection (used by azure-identity's ManagedIdentityCredential)
 * at given variables instead of the process environment, so a test can aim it at {@link
 * FakeAzure#managedIdentityEnvironment()} without setting real environment variables.
 *
 * <p>azure-identity 1.18 delegates managed identity to MSAL4J, which reads {@code
 * IDENTITY_ENDPOINT}/{@code IDENTITY_HEADER} through its package-private {@code
 * ManagedIdentityApplication.setEnvironmentVariables} hook (the one MSAL4J's own tests use), not
 * through azure-core's {@code Configuration}. This class sets that hook by reflection (so this
 * module needs no compile dependency on MSAL4J); it is process-wide, so tests using it must not run
 * in parallel with other managed-identity tests. Variables not given read as unset — in particular
 * {@code MSI_ENDPOINT} and {@code IMDS_ENDPOINT}, so MSAL cannot fall back to IMDS through the
 * environment.
 */
public final class MsalEnvironment implements AutoCloseable {
  private static final String APP = "com.microsoft.aad.msal4j.ManagedIdentityApplication";
  private static final String ENV = "com.microsoft.aad.msal4j.IEnvironmentVariables";

  private final Object previous;

  private MsalEnvironment(Object previous) {
    this.previous = previous;
  }

  /** Installs {@code variables} as MSAL's whole environment until {@link #close()}. */
  public static MsalEnvironment install(Map<String, String> variables) {
    Map<String, String> vars = Map.copyOf(variables);
    try {
      Class<?> app = Class.forName(APP);
      Class<?> env = Class.forName(ENV);
      Method get = app.getDeclaredMethod("getEnvironmentVariables");
      get.setAccessible(true);
      Object previous = get.invoke(null);
      Object proxy =
          Proxy.newProxyInstance(
              env.getClassLoader(),
              new Class<?>[] {env},
              (p, m, args) -> {
                if (m.getName().equals("getEnvironmentVariable")) {
                  return vars.get((String) args[0]);
                }
                if (m.getName().equals("toString")) {
                  return "MsalEnvironment" + vars.keySet();
                }
                if (m.getName().equals("hashCode")) {
                  return System.identityHashCode(p);
                }
                if (m.getName().equals("equals")) {
                  return p == args[0];
                }
                return null;
              });
      set(app, env, proxy);
      return new MsalEnvironment(previous);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "MSAL4J's managed identity environment hook is not available in this version", e);
    }
  }

  private static void set(Class<?> app, Class<?> env, Object value)
      throws ReflectiveOperationException {
    Method set = app.getDeclaredMethod("setEnvironmentVariables", env);
    set.setAccessible(true);
    set.invoke(null, value);
  }

  @Override
  public void close() {
    try {
      set(Class.forName(APP), Class.forName(ENV), previous);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
