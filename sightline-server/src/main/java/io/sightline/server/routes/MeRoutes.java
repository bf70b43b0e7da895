package io.sightline.server.routes;

import io.sightline.core.Principal;
import io.sightline.core.Role;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import java.util.List;

/** {@code /api/v1/me}: who the caller is (what `sightline login` checks a token with). */
public final class MeRoutes {

  public record Me(
      @ApiField("the principal holding the token") String name,
      @ApiField("admin, creator, user or reader") String role,
      List<String> groups) {}

  private MeRoutes() {}

  public static List<ApiRoute> routes() {
    return List.of(
        ApiRoute.get("/api/v1/me", Role.READER, "Who the caller is: principal, role and groups")
            .returns(Me.class)
            .handle(
                c -> {
                  Principal p = c.principal();
                  return new Me(p.name(), p.role().wireName(), p.groups());
                }));
  }
}
