package io.sightline.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeader;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import io.sightline.azure.AzureEnvironment;
import io.sightline.kubernetes.EgressDeniedException;
import io.sightline.kubernetes.EgressSocketFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Proxy;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okhttp3.internal.http.HttpMethod;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Sightline's checked transport for Azure calls to user-supplied (custom-cloud) endpoints: OkHttp
 * whose sockets come from an {@link EgressSocketFactory}, so the egress rules are checked on the
 * resolved address at connect time (IP literals, redirects and re-resolved names included); no
 * proxy, no redirects, no retries, the environment's TLS trust. Both an azure-core {@link
 * HttpClient} (for azure-identity) and a plain call (for the ARM client).
 */
public final class EgressOkHttp {
  /** How long an abandoned, stalled request may keep its thread (callers give up much earlier). */
  static final Duration ABANDON_AFTER = Duration.ofSeconds(60);

  private final OkHttpClient ok;

  public EgressOkHttp(AzureEnvironment env) {
    this.ok =
        new OkHttpClient.Builder()
            .socketFactory(EgressSocketFactory.of(env.egressPolicy()))
            // OkHttp wants the trust manager only to clean chains for certificate pinning (not
            // used); the handshake is verified by the environment's SSLContext.
            .sslSocketFactory(env.sslContext().getSocketFactory(), defaultTrustManager())
            .proxy(Proxy.NO_PROXY)
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(false)
            .connectTimeout(env.connectTimeout())
            .readTimeout(ABANDON_AFTER)
            .writeTimeout(ABANDON_AFTER)
            .callTimeout(ABANDON_AFTER)
            .build();
  }

  /** A buffered answer. */
  public record Answer(int status, Map<String, List<String>> headers, byte[] body) {
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Sends one request and reads the whole answer within {@code timeout}.
   *
   * @throws EgressDeniedException when the egress rules refuse the address (nothing was sent)
   * @throws IOException for any other transport failure, a passed deadline included
   */
  public Answer execute(
      String method, URI uri, Map<String, List<String>> headers, byte[] body, Duration timeout)
      throws IOException {
    Request.Builder b = new Request.Builder().url(uri.toURL());
    String contentType = null;
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      for (String v : h.getValue()) {
        b.addHeader(h.getKey(), v);
        if (h.getKey().equalsIgnoreCase("Content-Type")) {
          contentType = v;
        }
      }
    }
    RequestBody rb = null;
    if (body != null || HttpMethod.requiresRequestBody(method)) {
      rb =
          RequestBody.create(
              body == null ? new byte[0] : body,
              contentType == null ? null : MediaType.parse(contentType));
    }
    b.method(method, rb);
    okhttp3.Call call = ok.newCall(b.build());
    if (timeout != null) {
      call.timeout().timeout(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    }
    try (Response r = call.execute()) {
      ResponseBody rbody = r.body();
      byte[] bytes = rbody == null ? new byte[0] : rbody.bytes();
      return new Answer(r.code(), r.headers().toMultimap(), bytes);
    }
  }

  /** azure-core's {@link HttpClient} over this transport (azure-identity's token requests). */
  public HttpClient azureClient() {
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(HttpRequest request) {
        return send(request, Context.NONE);
      }

      @Override
      public Mono<HttpResponse> send(HttpRequest request, Context context) {
        return Mono.fromCallable(() -> sendSync(request, context))
            .subscribeOn(Schedulers.boundedElastic());
      }

      @Override
      public HttpResponse sendSync(HttpRequest request, Context context) {
        Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
        for (HttpHeader h : request.getHeaders()) {
          headers.put(h.getName(), h.getValuesList());
        }
        BinaryData data = request.getBodyAsBinaryData();
        try {
          Answer a =
              execute(
                  request.getHttpMethod().name(),
                  request.getUrl().toURI(),
                  headers,
                  data == null ? null : data.toBytes(),
                  null);
          return new Buffered(request, a);
        } catch (EgressDeniedException e) {
          throw new AzureHttp.EgressDeniedException(e);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
          throw new IllegalArgumentException("not a valid URL: " + request.getUrl(), e);
        }
      }
    };
  }

  /** The egress refusal in a failure's causes, or null. */
  public static EgressDeniedException egressDenied(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof EgressDeniedException e) {
        return e;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  private static X509TrustManager defaultTrustManager() {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("no X509TrustManager");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no default trust manager", e);
    }
  }

  /** A response whose body is already read. */
  private static final class Buffered extends HttpResponse {
    private final int status;
    private final HttpHeaders headers;
    private final byte[] body;

    Buffered(HttpRequest request, Answer a) {
      super(request);
      this.status = a.status();
      this.headers = new HttpHeaders();
      a.headers().forEach(headers::set);
      this.body = a.body();
    }

    @Override
    public int getStatusCode() {
      return status;
    }

    @Override
    public String getHeaderValue(String name) {
      return headers.getValue(name);
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }

    @Override
    public Flux<ByteBuffer> getBody() {
      return Flux.just(ByteBuffer.wrap(body));
    }

    @Override
    public BinaryData getBodyAsBinaryData() {
      return BinaryData.fromBytes(body);
    }

    @Override
    public Mono<byte[]> getBodyAsByteArray() {
      return Mono.just(body);
    }

    @Override
    public Mono<String> getBodyAsString() {
      return Mono.just(new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public Mono<String> getBodyAsString(Charset charset) {
      return Mono.just(new String(body, charset));
    }
  }
}
