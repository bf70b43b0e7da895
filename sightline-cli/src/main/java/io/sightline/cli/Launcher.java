package io.sightline.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The jar's entry point. Exec-plugin calls ({@code kubelogin get-token}, {@code get-token}) run on
 * every kubectl request, so they are dispatched here, before picocli builds the command tree and
 * before logging starts: a warm-cache call loads only JDK classes and a handful of Sightline's.
 * Everything else goes to {@link Main}.
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) {
    boolean kubelogin =
        args.length >= 2 && args[0].equals("kubelogin") && args[1].equals("get-token");
    boolean lease = args.length >= 1 && args[0].equals("get-token");
    if (kubelogin || lease) {
      // kubectl shows the plugin's stderr to the person: one line of ours, no library log lines
      // (azure-identity and MSAL log failures at WARN/ERROR). SIGHTLINE_LOG_LEVEL=DEBUG shows them.
      if (System.getenv("SIGHTLINE_LOG_LEVEL") == null) {
        System.setProperty("SIGHTLINE_LOG_LEVEL", "OFF");
      }
      PrintStream err =
          new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
      PrintStream out =
          new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
      int code =
          kubelogin
              ? io.sightline.cli.kubelogin.GetToken.run(
                  Arrays.copyOfRange(args, 2, args.length), System.getenv(), out, err)
              : io.sightline.cli.kubelogin.LeaseToken.run(
                  Arrays.copyOfRange(args, 1, args.length), System.getenv(), out, err);
      out.flush();
      System.exit(code);
    }
    Main.main(args);
  }
}
