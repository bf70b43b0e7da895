package io.sightline.server.routes;

import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.internal.MasterKeyRotation;
import java.util.List;

/** {@code /api/v1/admin}: operations on the server itself. */
public final class AdminRoutes {

  public record RotateMasterKeyRequest(
      @ApiField(
              "only when the key comes from SIGHTLINE_MASTER_KEY: the new key, base64 of 32 random"
                  + " bytes")
          String newKey) {}

  public record RotateMasterKeyResponse(
      @ApiField("fingerprint of the new master key") String keyId,
      @ApiField("where the new key lives: the key file, or SIGHTLINE_MASTER_KEY") String source,
      String message) {}

  private AdminRoutes() {}

  public static List<ApiRoute> routes(Services s) {
    return List.of(
        ApiRoute.post(
                "/api/v1/admin/rotate-master-key",
                Role.ADMIN,
                "Rotate the master key online (re-wraps every data key and the audit key)")
            .body(RotateMasterKeyRequest.class)
            .returns(RotateMasterKeyResponse.class)
            .handle(c -> rotate(s, c)));
  }

  private static RotateMasterKeyResponse rotate(Services s, Call c) {
    RotateMasterKeyRequest req = c.optionalBody(RotateMasterKeyRequest.class);
    SecretValue newKey =
        req == null || req.newKey() == null || req.newKey().isBlank()
            ? null
            : SecretValue.of(req.newKey().strip());
    MasterKeyRotation.Result r = s.rotation().rotate(newKey, c.actor(), c.requestId());
    return new RotateMasterKeyResponse(r.keyId(), r.source(), r.message());
  }
}
