/**
 * An Entra ID + Azure Resource Manager emulator for tests: {@link
 * io.sightline.testing.azure.FakeAzure}, over HTTPS on 127.0.0.1, never contacting Azure or the
 * instance metadata service.
 *
 * <h2>Entra ID (one port, authority host {@code FakeAzure.authorityHost()})</h2>
 *
 * <ul>
 *   <li>{@code POST /{tenant}/oauth2/v2.0/token} (and {@code /oauth2/token}): {@code
 *       client_credentials} with a secret, a certificate assertion ({@code x5t}/{@code x5t#S256},
 *       aud = token endpoint, iss = sub = client id) or a federated assertion (issuer, subject and
 *       audience of a {@link io.sightline.testing.azure.FederatedCredential}, signature through the
 *       issuer's discovery document and JWKS fetched from loopback); {@code password}; {@code
 *       device_code} (MSAL's name) and {@code urn:ietf:params:oauth:grant-type:device_code}; {@code
 *       refresh_token}; {@code authorization_code} with PKCE S256.
 *   <li>{@code POST /{tenant}/oauth2/v2.0/devicecode}; {@code GET /{tenant}/oauth2/v2.0/authorize}
 *       (redirects to a loopback {@code redirect_uri} for the configured interactive user).
 *   <li>{@code GET /{tenant}[/v2.0]/.well-known/openid-configuration}, {@code
 *       /{tenant}/discovery[/v2.0]/keys}, {@code /common/discovery/instance}, {@code
 *       /common/userrealm/{upn}} (answers {@code Managed}, which MSAL asks before ROPC).
 *   <li>{@code GET /msi/token?resource=…&api-version=2019-08-01[&client_id=…]} with {@code
 *       X-IDENTITY-HEADER}: the App Service managed identity endpoint ({@code
 *       FakeAzure.managedIdentityEnvironment()} gives {@code IDENTITY_ENDPOINT}/{@code
 *       IDENTITY_HEADER}; {@link io.sightline.testing.azure.MsalEnvironment} hands them to
 *       azure-identity without real environment variables).
 *   <li>{@code POST /_apis/distributedtask/hubs/build/plans/…/jobs/…/oidctoken} (Azure Pipelines'
 *       {@code SYSTEM_OIDCREQUESTURI}): ID tokens for service connections added with {@code
 *       addPipelinesServiceConnection}, issued under this emulator's v2.0 issuer.
 *   <li>Federated issuers over HTTPS are trusted through {@code Builder.trustIssuerCa(ca)} (plus
 *       the emulator's own CA); a second {@code FakeAzure} makes a good third-party issuer.
 *   <li>Errors as Entra writes them: {@code error}, {@code error_description} starting {@code
 *       AADSTSnnnnnn:}, {@code error_codes}, {@code timestamp}, {@code trace_id}, {@code
 *       correlation_id}.
 * </ul>
 *
 * <h2>ARM ({@code FakeAzure.armEndpoint()}, same port)</h2>
 *
 * {@code GET /subscriptions/{s}[/resourceGroups/{rg}]/providers/Microsoft.ContainerService/
 * managedClusters[/{name}]}, {@code POST …/{name}/listClusterUserCredential[?format=azure]} and
 * {@code …/listClusterAdminCredential}; bearer tokens of this emulator with audience {@code
 * https://management.azure.com/} (or without the slash); role assignments from {@code allow(…)};
 * 400/401/403/404 bodies as ARM and the AKS resource provider write them.
 *
 * <h2>Trusting it</h2>
 *
 * Its certificate comes from a fresh {@link io.sightline.testing.pki.TestCa}. Give clients {@code
 * clientSslContext()} (JDK HttpClient, and azure-identity through {@code new
 * JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(ctx)).build()} passed to
 * the credential builder's {@code httpClient(…)}), {@code caCertificate()} or a PEM bundle ({@code
 * writeCaBundle(path)}); never the JVM-wide trust store. azure-identity credentials must call
 * {@code disableInstanceDiscovery()}: otherwise MSAL4J asks {@code
 * login.microsoftonline.com/common/discovery/instance} about any authority host it does not know.
 */
package io.sightline.testing.azure;
