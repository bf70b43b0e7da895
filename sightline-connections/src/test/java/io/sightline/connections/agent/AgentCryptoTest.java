package io.sightline.connections.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AgentCryptoTest {
  @Test
  @DisplayName(
      "a job encrypted to an agent's key reads only with that key, and carries no clear text")
  void jobsAreEncryptedToTheAgent() {
    JWKSet keys = AgentCrypto.newKeys();
    ClusterAccess access =
        ClusterAccess.ofToken("https://10.0.0.1:6443", null, SecretValue.of("minter-secret-token"));
    SecretValue job =
        JobCodec.mint(
            access,
            false,
            new MintRequest(
                "l1", "sightline-prod", "deployer-web", Duration.ofMinutes(15), List.of(), null));
    String jwe = AgentCrypto.encrypt(job, AgentCrypto.encryptionKey(keys.toPublicJWKSet()));
    assertThat(jwe).doesNotContain("minter-secret-token").contains("eyJ");
    assertThat(jwe.split("\\.")).hasSize(5);

    JobCodec.Job read = JobCodec.readJob(AgentCrypto.decrypt(jwe, AgentCrypto.encryptionKey(keys)));
    assertThat(read.kind()).isEqualTo(JobCodec.Kind.MINT);
    assertThat(read.access().bearerToken().reveal()).isEqualTo("minter-secret-token");
    assertThat(JobCodec.mintRequest(read.args()).deployer()).isEqualTo("deployer-web");

    JWKSet other = AgentCrypto.newKeys();
    assertThatThrownBy(() -> AgentCrypto.decrypt(jwe, AgentCrypto.encryptionKey(other)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(job.toString()).doesNotContain("minter-secret-token");
  }

  @Test
  @DisplayName(
      "a job under a channel key opens with the agent's key once, then from the agent's cache;"
          + " another agent's key and a mismatched channel key are refused")
  void jobsTravelUnderAChannelKey() {
    JWKSet keys = AgentCrypto.newKeys();
    var channel = AgentCrypto.newChannelKey();
    String wrapped =
        AgentCrypto.encrypt(
            SecretValue.of(channel.toJSONString()),
            AgentCrypto.encryptionKey(keys.toPublicJWKSet()));
    byte[] resultKey = AgentCrypto.newResultKey();
    SecretValue job =
        JobCodec.withResultKey(
            JobCodec.revoke(
                ClusterAccess.ofToken(
                    "https://10.0.0.1:6443", null, SecretValue.of("minter-secret-token")),
                false,
                "l1",
                "sightline-prod"),
            resultKey);
    String payload = AgentCrypto.encryptDirect(job, channel.toByteArray(), channel.getKeyID());
    assertThat(payload + wrapped).doesNotContain("minter-secret-token");

    java.util.Map<String, byte[]> cache = new java.util.HashMap<>();
    SecretValue opened =
        AgentCrypto.openJob(payload, wrapped, AgentCrypto.encryptionKey(keys), cache);
    assertThat(JobCodec.readJob(opened).access().bearerToken().reveal())
        .isEqualTo("minter-secret-token");
    assertThat(JobCodec.resultKey(opened)).isEqualTo(resultKey);
    assertThat(cache).containsOnlyKeys(channel.getKeyID());
    assertThat(AgentCrypto.openJob(payload, null, null, cache).reveal()).isEqualTo(job.reveal());

    JWKSet other = AgentCrypto.newKeys();
    assertThatThrownBy(
            () ->
                AgentCrypto.openJob(
                    payload, wrapped, AgentCrypto.encryptionKey(other), new java.util.HashMap<>()))
        .isInstanceOf(IllegalArgumentException.class);
    String otherChannel =
        AgentCrypto.encrypt(
            SecretValue.of(AgentCrypto.newChannelKey().toJSONString()),
            AgentCrypto.encryptionKey(keys.toPublicJWKSet()));
    assertThatThrownBy(
            () ->
                AgentCrypto.openJob(
                    payload,
                    otherChannel,
                    AgentCrypto.encryptionKey(keys),
                    new java.util.HashMap<>()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not the key of this job");

    // The answer goes back under the job's result key, naming its claim; no other key opens it.
    String answer =
        AgentCrypto.encryptDirect(SecretValue.of("{\"ok\":true}"), resultKey, "claim-2");
    assertThat(AgentCrypto.decryptDirect(answer, resultKey).reveal()).isEqualTo("{\"ok\":true}");
    assertThatThrownBy(() -> AgentCrypto.decryptDirect(answer, AgentCrypto.newResultKey()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JobCodec.resultKey(JobCodec.ok(JobCodec.revoked(true))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a proof is an ES256 JWS for one call, at most 60 s long")
  void proofsAreShortAndBound() throws Exception {
    JWKSet keys = AgentCrypto.newKeys();
    String proof =
        AgentCrypto.proof(
            AgentCrypto.signingKey(keys),
            "agent-1",
            "https://sightline.example.com",
            "POST",
            "/api/v1/agent/heartbeat",
            Duration.ofMinutes(10));
    SignedJWT jwt = SignedJWT.parse(proof);
    assertThat(jwt.verify(new ECDSAVerifier(AgentCrypto.signingKey(keys).toECPublicKey())))
        .isTrue();
    assertThat(jwt.getHeader().getType()).isEqualTo(AgentCrypto.PROOF_TYPE);
    var c = jwt.getJWTClaimsSet();
    assertThat(c.getAudience()).containsExactly("https://sightline.example.com");
    assertThat(c.getClaim("htu")).isEqualTo("/api/v1/agent/heartbeat");
    assertThat(Duration.between(c.getIssueTime().toInstant(), c.getExpirationTime().toInstant()))
        .isLessThanOrEqualTo(Duration.ofSeconds(60));
    assertThat(c.getJWTID()).isNotBlank();
  }

  @Test
  @DisplayName(
      "an agent's error travels back with its code, status and detail; a result round-trips")
  void resultsRoundTrip() {
    SecretValue err =
        JobCodec.error(SightlineException.forbidden("FORBIDDEN", "the minter may not do that"));
    assertThatThrownBy(() -> JobCodec.readResult(err))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("FORBIDDEN");
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.getMessage()).isEqualTo("the minter may not do that");
            });
    MintedToken t =
        new MintedToken(
            SecretValue.of("tok"),
            Instant.parse("2026-11-29T12:00:00Z"),
            "jti-1",
            "abc",
            "system:serviceaccount:sightline-prod:deployer-web",
            "sightline-lease-l1",
            "uid-1");
    MintedToken back = JobCodec.minted(JobCodec.readResult(JobCodec.ok(JobCodec.minted(t))));
    assertThat(back.token().reveal()).isEqualTo("tok");
    assertThat(back.expiresAt()).isEqualTo(t.expiresAt());
    assertThat(back.jti()).isEqualTo("jti-1");
    assertThat(back.secretUid()).isEqualTo("uid-1");
  }

  @Test
  @DisplayName(
      "a session MAC header names its key, timestamp and nonce, and its MAC covers the method,"
          + " audience, path with query and body")
  void sessionMacsAreBound() {
    byte[] key = AgentCrypto.newResultKey();
    String value =
        AgentCrypto.macAuthorization(
            key, "sk-1", "http://127.0.0.1:1", "POST", "/a?wait=1", "{}".getBytes(), 1_000L);
    assertThat(value).startsWith("Agent-MAC sk-1.1000.");
    AgentCrypto.MacHeader h = AgentCrypto.MacHeader.parse(value.substring("Agent-MAC ".length()));
    assertThat(h.kid()).isEqualTo("sk-1");
    assertThat(h.timestamp()).isEqualTo(1_000L);
    byte[] input =
        AgentCrypto.macInput(
            "sk-1", 1_000L, h.nonce(), "http://127.0.0.1:1", "POST", "/a?wait=1", "{}".getBytes());
    assertThat(AgentCrypto.mac(key, input)).isEqualTo(h.mac());
    for (byte[] other :
        List.of(
            AgentCrypto.macInput(
                "sk-1",
                1_000L,
                h.nonce(),
                "http://127.0.0.1:1",
                "POST",
                "/a?wait=2",
                "{}".getBytes()),
            AgentCrypto.macInput(
                "sk-1",
                1_000L,
                h.nonce(),
                "http://127.0.0.1:1",
                "POST",
                "/a?wait=1",
                "{ }".getBytes()),
            AgentCrypto.macInput(
                "sk-1",
                1_001L,
                h.nonce(),
                "http://127.0.0.1:1",
                "POST",
                "/a?wait=1",
                "{}".getBytes()),
            AgentCrypto.macInput(
                "sk-1",
                1_000L,
                h.nonce(),
                "http://127.0.0.1:2",
                "POST",
                "/a?wait=1",
                "{}".getBytes()))) {
      assertThat(AgentCrypto.mac(key, other)).isNotEqualTo(h.mac());
    }
    assertThatThrownBy(() -> AgentCrypto.MacHeader.parse("sk-1.notanumber.n.AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AgentCrypto.MacHeader.parse("sk-1.1.n"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
