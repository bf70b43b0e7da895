package io.sightline.server.leases;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiField;
import java.util.LinkedHashMap;
import java.util.Map;

/** The task a lease is for, as the CI system names it (all optional; recorded and audited). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskInfo(
    @ApiField("pipeline or workflow name") String pipeline,
    @ApiField("run id") String run,
    @ApiField("job name") String job,
    @ApiField("task or step name") String task,
    @ApiField("attempt number (retries)") Integer attempt,
    @ApiField("commit SHA") String commit,
    @ApiField("link to the run") String url) {

  private static final int MAX = 1000;

  public TaskInfo {
    check("pipeline", pipeline);
    check("run", run);
    check("job", job);
    check("task", task);
    check("commit", commit);
    check("url", url);
  }

  private static void check(String field, String v) {
    if (v != null && v.length() > MAX) {
      throw SightlineException.badRequest(
          "INVALID_TASK", "task." + field, "task." + field + " is longer than " + MAX);
    }
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    put(m, "pipeline", pipeline);
    put(m, "run", run);
    put(m, "job", job);
    put(m, "task", task);
    put(m, "attempt", attempt);
    put(m, "commit", commit);
    put(m, "url", url);
    return m;
  }

  private static void put(Map<String, Object> m, String k, Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }
}
