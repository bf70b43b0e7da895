package io.sightline.testing.kube;

import java.time.Instant;

/**
 * One request the emulator answered.
 *
 * @param user the authenticated user name, {@code system:anonymous}, or null when authentication
 *     failed (401)
 * @param verb the Kubernetes verb ({@code get}, {@code list}, {@code create}, …) or, for paths
 *     outside the resource API, the lower-case HTTP method
 * @param method the HTTP method
 * @param path the request path without the query
 * @param query the raw query string, or null
 * @param status the HTTP status answered
 */
public record RequestLogEntry(
    Instant time, String user, String verb, String method, String path, String query, int status) {}
