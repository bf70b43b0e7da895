# syntax=docker/dockerfile:1
# Sightline server image (issue 12). Multi-stage: Maven builds sightline.jar on a JDK 17 image,
# the runtime is a JRE 17 image with a non-root user. Not built in this project's CI (the build
# machines have no container runtime); docs/operations.md "Container image" says how to build it:
#   docker build -t sightline:0.1.0 .
#   docker run --rm -p 8480:8480 -v sightline-data:/var/lib/sightline sightline:0.1.0

# ---- build ---------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# POMs first, so the dependency layer is cached while only sources change.
COPY pom.xml ./
COPY .mvn .mvn
COPY sightline-api/pom.xml sightline-api/
COPY sightline-core/pom.xml sightline-core/
COPY sightline-testing/pom.xml sightline-testing/
COPY sightline-kubernetes/pom.xml sightline-kubernetes/
COPY sightline-azure/pom.xml sightline-azure/
COPY sightline-connections/pom.xml sightline-connections/
COPY sightline-store/pom.xml sightline-store/
COPY sightline-server/pom.xml sightline-server/
COPY sightline-cli/pom.xml sightline-cli/
COPY sightline-it/pom.xml sightline-it/
COPY sightline-bench/pom.xml sightline-bench/
COPY sightline-deploy-tests/pom.xml sightline-deploy-tests/
RUN mvn -B -q -pl sightline-cli -am dependency:go-offline -DexcludeReactor=true || true
COPY . .
# The same build as the ./sightline launcher: the jar only, tests run in CI instead.
RUN mvn -B -q -pl sightline-cli -am package -Dmaven.test.skip=true -Dspotless.check.skip=true \
 && cp sightline-cli/target/sightline.jar /sightline.jar

# ---- runtime -------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre-jammy
# curl for the HEALTHCHECK only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sightline \
 && useradd --system --uid 10001 --gid sightline --home-dir /var/lib/sightline --shell /usr/sbin/nologin sightline \
 && mkdir -p /opt/sightline /var/lib/sightline \
 && chown sightline:sightline /var/lib/sightline \
 && chmod 0700 /var/lib/sightline
COPY --from=build /sightline.jar /opt/sightline/sightline.jar

# The server's JVM options, as ./sightline uses them for `server` (G1 with a 20 ms pause goal, small
# heap; idle RSS well under 200 MB). Override with JAVA_OPTS (the Helm chart sets it from values.jvmOptions).
ENV JAVA_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xms160m -Xmx256m -XX:MetaspaceSize=64m -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m -Xss512k -XX:+ExitOnOutOfMemoryError" \
    SIGHTLINE_BIND=0.0.0.0 \
    SIGHTLINE_PORT=8480 \
    SIGHTLINE_DATA_DIR=/var/lib/sightline \
    SIGHTLINE_ALLOW_PLAINTEXT=true

USER 10001:10001
WORKDIR /var/lib/sightline
VOLUME ["/var/lib/sightline"]
EXPOSE 8480
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${SIGHTLINE_PORT}/healthz" || exit 1
# exec: the JVM is PID 1 and gets SIGTERM (graceful stop writes the last audit checkpoint).
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -jar /opt/sightline/sightline.jar \"$@\"", "sightline"]
CMD ["server"]
