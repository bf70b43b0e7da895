/**
 * Azure for Sightline: Entra ID token sources by scheme ({@link
 * io.sightline.azure.AzureTokenSources} over azure-identity on the JDK HttpClient), a thin ARM
 * client for AKS ({@link io.sightline.azure.ArmClient}), the facts that decide how to reach a
 * cluster ({@link io.sightline.azure.AksFacts}), the per-task AKS credential ({@link
 * io.sightline.azure.AksCredentialIssuer}) and the server as an OIDC issuer for workload identity
 * federation ({@link io.sightline.azure.OidcIssuer}).
 *
 * <p>Failures are {@link io.sightline.core.SightlineException}s with {@link
 * io.sightline.api.probe.DiagnosisCode} names: {@code ENTRA_AUTH_FAILED} (with the AADSTS code),
 * {@code ARM_FORBIDDEN}, {@code ARM_NOT_FOUND}, {@code LOCAL_ACCOUNTS_DISABLED}, {@code
 * PROBE_DEADLINE_EXCEEDED} (ARM did not answer in time), {@code EGRESS_DENIED}.
 */
package io.sightline.azure;
