package io.sightline.server.http;

/**
 * Handles one API call: returns the response body (serialised as JSON with the route's success
 * status) or null for no body (204 unless the route says otherwise). Throw {@link
 * io.sightline.core.SightlineException} for anything the caller did wrong.
 */
@FunctionalInterface
public interface RouteHandler {
  Object handle(Call call) throws Exception;
}
