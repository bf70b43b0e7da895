package io.sightline.cli.identity;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The task a lease is for (pipeline, run, job, task, attempt, commit, url), read from the CI's own
 * variables; recorded in the lease and its audit events.
 */
public final class TaskMetadata {
  private TaskMetadata() {}

  /** The metadata fields present in {@code env}; {@code command} names the task outside CI. */
  public static Map<String, String> fromEnvironment(Map<String, String> env, String command) {
    Map<String, String> t = new LinkedHashMap<>();
    if (has(env, "GITHUB_ACTIONS")) {
      put(t, "pipeline", join(env.get("GITHUB_REPOSITORY"), env.get("GITHUB_WORKFLOW")));
      put(t, "run", env.get("GITHUB_RUN_ID"));
      put(t, "job", env.get("GITHUB_JOB"));
      put(t, "task", env.get("GITHUB_ACTION"));
      put(t, "attempt", env.get("GITHUB_RUN_ATTEMPT"));
      put(t, "commit", env.get("GITHUB_SHA"));
      if (has(env, "GITHUB_SERVER_URL") && has(env, "GITHUB_RUN_ID")) {
        put(
            t,
            "url",
            env.get("GITHUB_SERVER_URL")
                + "/"
                + env.get("GITHUB_REPOSITORY")
                + "/actions/runs/"
                + env.get("GITHUB_RUN_ID"));
      }
    } else if (has(env, "GITLAB_CI")) {
      put(t, "pipeline", env.get("CI_PROJECT_PATH"));
      put(t, "run", env.get("CI_PIPELINE_ID"));
      put(t, "job", env.get("CI_JOB_NAME"));
      put(t, "task", env.get("CI_JOB_ID"));
      put(t, "commit", env.get("CI_COMMIT_SHA"));
      put(t, "url", env.get("CI_JOB_URL"));
    } else if (has(env, "TF_BUILD")) {
      put(t, "pipeline", join(env.get("SYSTEM_TEAMPROJECT"), env.get("BUILD_DEFINITIONNAME")));
      put(t, "run", env.get("BUILD_BUILDID"));
      put(t, "job", env.get("SYSTEM_JOBDISPLAYNAME"));
      put(t, "task", env.get("SYSTEM_TASKDISPLAYNAME"));
      put(t, "attempt", env.get("SYSTEM_JOBATTEMPT"));
      put(t, "commit", env.get("BUILD_SOURCEVERSION"));
      if (has(env, "SYSTEM_COLLECTIONURI") && has(env, "BUILD_BUILDID")) {
        put(
            t,
            "url",
            env.get("SYSTEM_COLLECTIONURI")
                + env.getOrDefault("SYSTEM_TEAMPROJECT", "")
                + "/_build/results?buildId="
                + env.get("BUILD_BUILDID"));
      }
    }
    if (!t.containsKey("task") && command != null) {
      put(t, "task", command);
    }
    return t;
  }

  private static String join(String a, String b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a + "/" + b;
  }

  private static boolean has(Map<String, String> env, String k) {
    String v = env.get(k);
    return v != null && !v.isBlank();
  }

  private static void put(Map<String, String> t, String k, String v) {
    if (v != null && !v.isBlank()) {
      t.put(k, v);
    }
  }
}
