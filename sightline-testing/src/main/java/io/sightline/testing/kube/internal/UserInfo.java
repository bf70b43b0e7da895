package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/** An authenticated identity, as kube-apiserver's {@code user.Info}. */
public record UserInfo(
    String username, String uid, List<String> groups, Map<String, List<String>> extra) {

  public static final String MASTERS = "system:masters";
  public static final String AUTHENTICATED = "system:authenticated";

  public static final UserInfo ANONYMOUS =
      new UserInfo("system:anonymous", null, List.of("system:unauthenticated"), Map.of());

  public boolean inGroup(String group) {
    return groups.contains(group);
  }

  public ObjectNode toJson() {
    ObjectNode u = Json.object();
    u.put("username", username);
    if (uid != null) {
      u.put("uid", uid);
    }
    ArrayNode g = u.putArray("groups");
    groups.forEach(g::add);
    if (!extra.isEmpty()) {
      ObjectNode e = u.putObject("extra");
      extra.forEach(
          (k, v) -> {
            ArrayNode a = e.putArray(k);
            v.forEach(a::add);
          });
    }
    return u;
  }
}
