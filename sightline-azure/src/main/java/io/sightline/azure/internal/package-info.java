/**
 * Machinery of {@code io.sightline.azure}: the azure-core HTTP client over the JDK HttpClient with
 * the egress check, the deadline around azure-identity, AADSTS error mapping, kubeconfig parsing
 * and writing.
 */
package io.sightline.azure.internal;
