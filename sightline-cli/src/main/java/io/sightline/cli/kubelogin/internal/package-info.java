/**
 * The cold half of the exec plugins: Entra sign-ins (through sightline-azure's azure-identity token
 * sources, and a small OAuth client for people's sign-ins whose refresh tokens are kept), the Azure
 * CLI, GitHub's OIDC token request, and Sightline leases. Loaded only when the cache misses.
 */
package io.sightline.cli.kubelogin.internal;
