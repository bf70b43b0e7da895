/**
 * The connection kinds (DESIGN.md "Vocabulary"): {@link io.sightline.connections.ConnectionKind},
 * the registry {@link io.sightline.connections.ConnectionTypes} (one exhaustive {@code switch}),
 * and one package per kind holding its {@link io.sightline.connections.FieldSpec} declarations,
 * validation, probe access and provisioning. {@link io.sightline.connections.ConnectionRequests}
 * reads the flat wire form and produces the redacted view. Used by the server and the agent; knows
 * nothing of HTTP or the store.
 */
package io.sightline.connections;
