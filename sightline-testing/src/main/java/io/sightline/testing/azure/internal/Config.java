package io.sightline.testing.azure.internal;

import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.EntraUser;
import io.sightline.testing.azure.ManagedIdentity;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;

/** What a {@code FakeAzure} was built with (filled by its builder, read by the endpoints). */
public final class Config {
  /** One role assignment: {@code principal} may do {@code actions} at or below {@code scope}. */
  public record Grant(String principalObjectId, String scope, Set<ArmAction> actions) {}

  public static Grant grant(String principalObjectId, String scope, ArmAction... actions) {
    Set<ArmAction> set = EnumSet.noneOf(ArmAction.class);
    set.addAll(List.of(actions));
    return new Grant(principalObjectId, scope, set);
  }

  public final Set<String> tenants = new LinkedHashSet<>();
  public final List<EntraApp> apps = new CopyOnWriteArrayList<>();
  public final List<EntraUser> users = new CopyOnWriteArrayList<>();
  public final List<ManagedIdentity> managedIdentities = new CopyOnWriteArrayList<>();
  public final List<AksCluster> clusters = new CopyOnWriteArrayList<>();
  public final Set<String> resourceGroups = new CopyOnWriteArraySet<>(); // "sub/rg", lower case
  public final List<Grant> grants = new CopyOnWriteArrayList<>();
  public Duration tokenLifetime = Duration.ofMinutes(75);
  public Duration managedIdentityTokenLifetime = Duration.ofHours(24);
  public Duration deviceCodeLifetime = Duration.ofMinutes(15);
  public int accessTokenVersion = 1;
  public String armAudience = "https://management.azure.com/";
  public String interactiveUser;
  public String managedIdentityHeader = java.util.UUID.randomUUID().toString();
  public PrivateKey tlsKey;
  public X509Certificate[] tlsChain;
  public X509Certificate tlsTrustAnchor;
  public final List<X509Certificate> federationCas = new CopyOnWriteArrayList<>();
}
