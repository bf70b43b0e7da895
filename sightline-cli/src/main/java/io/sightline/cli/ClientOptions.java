package io.sightline.cli;

import picocli.CommandLine.Option;

/** {@code --server} on every command that talks to a server. */
public final class ClientOptions {
  @Option(
      names = "--server",
      paramLabel = "URL",
      description =
          "Sightline server URL. Default: $SIGHTLINE_SERVER, else the server of `sightline login`,"
              + " else "
              + CliContext.DEFAULT_SERVER
              + ". The token comes from $SIGHTLINE_TOKEN, else from `sightline login`.")
  public String server;
}
