/**
 * The cluster-facing machinery below the connection kinds, used by the server and the agent.
 *
 * <ul>
 *   <li>{@link io.sightline.kubernetes.KubeconfigParser} and {@link
 *       io.sightline.kubernetes.ServiceAccountSecretParser} turn untrusted text into a {@link
 *       io.sightline.kubernetes.ClusterAccess} made of explicit values only.
 *   <li>{@link io.sightline.kubernetes.EgressPolicy} and {@link
 *       io.sightline.kubernetes.EgressSocketFactory} decide, at connect time, which addresses may
 *       be dialled.
 *   <li>{@link io.sightline.kubernetes.KubernetesClients} builds fabric8 clients from a {@code
 *       ClusterAccess}, never from the environment.
 *   <li>{@link io.sightline.kubernetes.ClusterProber} probes within a hard deadline; {@link
 *       io.sightline.kubernetes.ProbeRateLimiter} limits probes per caller.
 * </ul>
 *
 * <p>Errors from parsing are {@link io.sightline.core.SightlineException}s with status 400 (413 for
 * oversized input); where a refusal is a diagnosis of the catalogue, the exception's {@code code}
 * is the {@link io.sightline.api.probe.DiagnosisCode}'s name.
 */
package io.sightline.kubernetes;
