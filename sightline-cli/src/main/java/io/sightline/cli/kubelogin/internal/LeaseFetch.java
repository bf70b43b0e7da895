package io.sightline.cli.kubelogin.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.UsageException;
import io.sightline.cli.client.ApiException;
import io.sightline.cli.client.CliConfig;
import io.sightline.cli.commands.LeaseCommand;
import io.sightline.cli.identity.TaskMetadata;
import io.sightline.cli.kubelogin.KubeloginException;
import io.sightline.cli.kubelogin.LeaseToken;
import io.sightline.cli.kubelogin.TokenCache;
import io.sightline.cli.run.Lease;
import io.sightline.cli.run.LeaseApi;
import io.sightline.core.SecretValue;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.Map;

/**
 * Takes a lease for {@code sightline get-token --connection} (and {@code sightline kubeconfig}).
 */
public final class LeaseFetch {
  private LeaseFetch() {}

  /** A lease and its cache entry. */
  public record Fetched(Lease lease, TokenCache.Entry entry) {}

  /** The server when neither --server nor SIGHTLINE_SERVER names one: the login config's. */
  public static String defaultServer(Map<String, String> env) {
    return LeaseCommand.server(context(env), null).url().toString();
  }

  public static Fetched fetch(LeaseToken.Options o, String server) {
    CliContext ctx = context(o.env());
    LeaseCommand.Server s;
    long ttl;
    try {
      s = LeaseCommand.server(ctx, server);
      ttl = LeaseCommand.ttlSeconds(o.ttl(), "--ttl");
    } catch (UsageException e) {
      throw KubeloginException.usage(e.getMessage());
    }
    if (s.apiToken() == null || s.apiToken().isBlank()) {
      throw KubeloginException.usage(
          "no API token for "
              + s.url()
              + ": set SIGHTLINE_TOKEN or run `sightline login --server "
              + s.url()
              + "`");
    }
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ObjectNode target = body.putObject("target");
    target.put("connection", o.connection());
    if (o.namespace() != null) {
      target.put("namespace", o.namespace());
    }
    body.put("ttlSeconds", ttl);
    ObjectNode task = body.putObject("task");
    TaskMetadata.fromEnvironment(o.env(), "sightline get-token").forEach(task::put);
    Lease lease;
    try {
      lease = new LeaseApi(s.url(), o.timeout()).create(body, SecretValue.of(s.apiToken()));
    } catch (ApiException e) {
      throw KubeloginException.failed(e.getMessage());
    }
    return new Fetched(lease, new TokenCache.Entry(lease.token(), lease.expiresAt(), null));
  }

  private static CliContext context(Map<String, String> env) {
    PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
    return new CliContext(
        env, InputStream.nullInputStream(), nowhere, nowhere, CliConfig.forEnvironment(env));
  }
}
