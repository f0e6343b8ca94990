package dev.canaryrelease.registry.client;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.client.ClientRequestFilter;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.registry.config.RegistryServiceConfig;
import dev.canaryrelease.registry.domain.MediaTypes;

/**
 * The one door to the registry HTTP API: manifests with the right {@code Accept} headers, config
 * blobs, tags and deletes. Adds timeouts, checks that what the registry returns hashes to the
 * digest asked for, and translates failures into {@link RegistryException} (transient or not) and
 * {@link NotFoundException}.
 */
@ApplicationScoped
public class RegistryClient {
    private static final Logger LOG = Logger.getLogger(RegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String DIGEST_HEADER = "Docker-Content-Digest";

    private final URI base;
    private final RegistryApi api;

    public RegistryClient(Fleet fleet, RegistryServiceConfig config) {
        String url = config.url().orElse(fleet.registry().url());
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        long timeout = config.httpTimeout().toMillis();
        QuarkusRestClientBuilder b =
                QuarkusRestClientBuilder.newBuilder()
                        .baseUri(base)
                        .connectTimeout(timeout, TimeUnit.MILLISECONDS)
                        .readTimeout(timeout, TimeUnit.MILLISECONDS)
                        .followRedirects(true)
                        .disableDefaultMapper(true);
        Path ca = fleet.registry().ca();
        if (ca != null) {
            // the suite's CA only (not the JDK's): the registry's certificate must chain to it
            b.trustStore(RegistryTrust.trustStore(ca), "");
        }
        Optional<String> auth =
                config.passwordFile().map(f -> RegistryTrust.basicAuth(config.username(), f));
        auth.ifPresent(
                a ->
                        b.register(
                                (ClientRequestFilter)
                                        r -> r.getHeaders().putSingle("Authorization", a)));
        this.api = b.build(RegistryApi.class);
        LOG.infof(
                "registry API at %s (%s, %s)",
                base,
                ca == null ? "the JDK's trusted CAs" : "trusting " + ca,
                auth.isPresent()
                        ? "as user " + config.username()
                        : "anonymous: canary.registry.password-file is not set");
    }

    /** The registry's base URL. */
    public URI base() {
        return base;
    }

    /** Fetches and checks a manifest by digest or tag. */
    public ImageManifest manifest(String repository, String reference) {
        byte[] body;
        String mediaType;
        String digest;
        try (Response r =
                call(
                        "GET manifest " + repository + "@" + reference,
                        () -> api.manifest(repository, reference, MediaTypes.ACCEPT_MANIFESTS))) {
            expect(r, 200, "manifest " + repository + ":" + reference);
            body = r.readEntity(byte[].class);
            mediaType = MediaTypes.base(r.getHeaderString("Content-Type"));
            digest = r.getHeaderString(DIGEST_HEADER);
        }
        String computed = sha256(body);
        if (reference.startsWith("sha256:") && !computed.equals(reference)) {
            throw new RegistryException(
                    "manifest " + repository + "@" + reference + " hashes to " + computed, false);
        }
        if (digest != null && !digest.equals(computed)) {
            throw new RegistryException(
                    "manifest "
                            + repository
                            + ":"
                            + reference
                            + ": registry says "
                            + digest
                            + ", content hashes to "
                            + computed,
                    false);
        }
        JsonNode m = readJson(body, "manifest " + repository + "@" + computed);
        if (m.hasNonNull("mediaType")) {
            mediaType = MediaTypes.base(m.get("mediaType").asText());
        }
        if (mediaType == null || !MediaTypes.MANIFESTS.contains(mediaType)) {
            throw new RegistryException(
                    "manifest "
                            + repository
                            + "@"
                            + computed
                            + " has media type "
                            + mediaType
                            + " (not a Docker schema 2 or OCI manifest)",
                    false);
        }
        if (MediaTypes.INDEXES.contains(mediaType)) {
            List<ImageManifest.Platform> platforms = new ArrayList<>();
            for (JsonNode e : m.path("manifests")) {
                JsonNode p = e.path("platform");
                platforms.add(
                        new ImageManifest.Platform(
                                e.path("digest").asText(),
                                e.path("mediaType").asText(null),
                                p.path("os").asText(null),
                                p.path("architecture").asText(null)));
            }
            return new ImageManifest(repository, computed, mediaType, null, List.copyOf(platforms));
        }
        String config = m.path("config").path("digest").asText(null);
        if (config == null) {
            throw new RegistryException(
                    "manifest " + repository + "@" + computed + " has no config", false);
        }
        return new ImageManifest(repository, computed, mediaType, config, List.of());
    }

    /** The config of an image; for an index, of its linux/amd64 image (or its first image). */
    public ImageConfig config(ImageManifest manifest) {
        ImageManifest image = manifest;
        if (manifest.isIndex()) {
            ImageManifest.Platform chosen =
                    manifest.manifests().stream()
                            .filter(ImageManifest.Platform::isImage)
                            .min(
                                    Comparator.comparing(
                                            (ImageManifest.Platform p) ->
                                                    !("linux".equals(p.os())
                                                            && "amd64".equals(p.architecture()))))
                            .orElseThrow(
                                    () ->
                                            new RegistryException(
                                                    "index "
                                                            + manifest.repository()
                                                            + "@"
                                                            + manifest.digest()
                                                            + " names no image",
                                                    false));
            image = manifest(manifest.repository(), chosen.digest());
            if (image.isIndex()) {
                throw new RegistryException("nested index " + image.digest(), false);
            }
        }
        byte[] body;
        String configDigest = image.configDigest();
        String what = "config " + manifest.repository() + "@" + configDigest;
        try (Response r =
                call("GET " + what, () -> api.blob(manifest.repository(), configDigest))) {
            expect(r, 200, what);
            body = r.readEntity(byte[].class);
        }
        if (!sha256(body).equals(image.configDigest())) {
            throw new RegistryException(what + " does not hash to its digest", false);
        }
        JsonNode c = readJson(body, what);
        Map<String, String> labels = new LinkedHashMap<>();
        c.path("config")
                .path("Labels")
                .fields()
                .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        Instant created = null;
        if (c.hasNonNull("created")) {
            try {
                created = OffsetDateTime.parse(c.get("created").asText()).toInstant();
            } catch (DateTimeParseException e) {
                LOG.debugf("%s: unreadable created time", what);
            }
        }
        return new ImageConfig(image.configDigest(), Map.copyOf(labels), created);
    }

    /** The tags of a repository (empty when it has none). */
    public List<String> tags(String repository) {
        try (Response r = call("GET tags " + repository, () -> api.tags(repository))) {
            expect(r, 200, "repository " + repository);
            JsonNode n = readJson(r.readEntity(byte[].class), "tags of " + repository);
            List<String> tags = new ArrayList<>();
            n.path("tags").forEach(t -> tags.add(t.asText()));
            return tags;
        }
    }

    /** The digest a tag names, from a HEAD request with the manifest {@code Accept} headers. */
    public String digest(String repository, String tag) {
        try (Response r =
                call(
                        "HEAD manifest " + repository + ":" + tag,
                        () -> api.manifestHead(repository, tag, MediaTypes.ACCEPT_MANIFESTS))) {
            expect(r, 200, "manifest " + repository + ":" + tag);
            String d = r.getHeaderString(DIGEST_HEADER);
            if (d == null) {
                throw new RegistryException(
                        "HEAD " + repository + ":" + tag + ": no " + DIGEST_HEADER, false);
            }
            return d;
        }
    }

    /** Tags with the digests they name. */
    public List<TagDigest> tagDigests(String repository) {
        List<TagDigest> out = new ArrayList<>();
        for (String t : tags(repository)) {
            try {
                out.add(new TagDigest(t, digest(repository, t)));
            } catch (NotFoundException e) {
                // deleted meanwhile
            }
        }
        return out;
    }

    /** Deletes a manifest (every tag naming it goes with it). A missing one counts as deleted. */
    public void deleteManifest(String repository, String digest) {
        try (Response r =
                call(
                        "DELETE manifest " + repository + "@" + digest,
                        () -> api.deleteManifest(repository, digest))) {
            if (r.getStatus() == 404) {
                return;
            }
            expect(r, 202, "manifest " + repository + "@" + digest);
        }
    }

    private static Response call(String what, Supplier<Response> call) {
        try {
            return call.get();
        } catch (ProcessingException e) {
            throw new RegistryException(
                    what + ": registry unreachable: " + rootMessage(e), true, e);
        }
    }

    private static void expect(Response r, int status, String what) {
        int s = r.getStatus();
        if (s == status || (status == 202 && s == 200)) {
            return;
        }
        if (s == 404) {
            throw new NotFoundException(what + " not found in the registry");
        }
        String detail = "";
        if (r.hasEntity()) {
            try {
                detail = new String(r.readEntity(byte[].class), StandardCharsets.UTF_8).strip();
                if (detail.length() > 300) detail = detail.substring(0, 300) + "…";
            } catch (RuntimeException e) {
                detail = "";
            }
        }
        if (s == 401 || s == 403) {
            // never the registry's body (it may echo the request); kept queued, not dropped
            throw new RegistryException(
                    what
                            + ": registry answered "
                            + s
                            + ": it refused registry-service's credentials (canary.registry"
                            + ".username / password-file)",
                    true);
        }
        throw new RegistryException(
                what + ": registry answered " + s + (detail.isEmpty() ? "" : " " + detail),
                s >= 500 || s == 429);
    }

    private static JsonNode readJson(byte[] body, String what) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new RegistryException(what + " is not a JSON object", false);
            }
            return n;
        } catch (IOException e) {
            throw new RegistryException(what + " is not JSON", false, e);
        }
    }

    static String sha256(byte[] body) {
        try {
            return "sha256:"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    @PreDestroy
    void close() {
        if (api instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debugf("closing the registry client: %s", e);
            }
        }
    }
}
