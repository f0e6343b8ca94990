package dev.canaryrelease.gateway.domain;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.fleet.Fleet;

/**
 * What a verified GitHub delivery means for the suite: pure, no I/O. Reads both content types
 * GitHub offers ({@code application/json} and {@code application/x-www-form-urlencoded} with a
 * {@code payload} field).
 */
public final class GithubWebhook {
    public static final String JSON = "application/json";
    public static final String FORM = "application/x-www-form-urlencoded";

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");

    /** Reasons given back in {@code {"ignored": …}}. */
    public static final class Reasons {
        public static final String TAG = "tag push %s: only branch pushes are built";
        public static final String DELETED = "branch deletion %s: nothing to build";
        public static final String UNCONFIGURED = "repository %s is not configured in the fleet";
        public static final String OTHER_BRANCH = "push to %s: app %s builds branch %s";
        public static final String OTHER_EVENT = "event '%s' is not handled";

        private Reasons() {}
    }

    /** The outcome of a delivery. */
    public sealed interface Outcome {}

    /** {@code ping}: GitHub's check when a hook is created. */
    public record Pong(String zen, Long hookId) implements Outcome {}

    /** A push to an app's branch: build it. */
    public record Build(
            String app,
            String repository,
            String cloneUrl,
            String ref,
            String commitSha,
            String pusher)
            implements Outcome {}

    /** Valid, but nothing to do. */
    public record Ignored(String reason) implements Outcome {}

    /** The body cannot be read; {@code reason} says why. */
    public record Malformed(String reason) implements Outcome {}

    /** The content type is neither of GitHub's. */
    public record UnsupportedType(String reason) implements Outcome {}

    private final Fleet fleet;

    public GithubWebhook(Fleet fleet) {
        this.fleet = fleet;
    }

    public Outcome interpret(String event, String contentType, byte[] body) {
        if (event == null || event.isBlank()) {
            return new Malformed("missing X-GitHub-Event header");
        }
        String type =
                contentType == null
                        ? ""
                        : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        byte[] json;
        if (type.equals(JSON)) {
            json = body;
        } else if (type.equals(FORM)) {
            Optional<String> payload = formField(body, "payload");
            if (payload.isEmpty()) {
                return new Malformed("form body has no 'payload' field");
            }
            json = payload.get().getBytes(StandardCharsets.UTF_8);
        } else {
            return new UnsupportedType(
                    "content type '"
                            + (contentType == null ? "" : contentType)
                            + "' is not "
                            + JSON
                            + " or "
                            + FORM);
        }
        JsonNode root;
        try {
            root = CloudEventCodec.JSON.readTree(json);
        } catch (IOException e) {
            return new Malformed(
                    "malformed JSON: "
                            + firstLine(
                                    e
                                                    instanceof
                                                    com.fasterxml.jackson.core
                                                                    .JsonProcessingException
                                                            j
                                            ? j.getOriginalMessage()
                                            : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            return new Malformed("the payload is not a JSON object");
        }
        return switch (event) {
            case "ping" ->
                    new Pong(
                            text(root, "zen").orElse(null),
                            root.path("hook_id").isNumber() ? root.get("hook_id").asLong() : null);
            case "push" -> push(root);
            default -> new Ignored(String.format(Reasons.OTHER_EVENT, event));
        };
    }

    private Outcome push(JsonNode root) {
        Optional<String> ref = text(root, "ref");
        Optional<String> repo = text(root.path("repository"), "full_name");
        if (ref.isEmpty()) {
            return new Malformed("push payload has no 'ref'");
        }
        if (repo.isEmpty()) {
            return new Malformed("push payload has no 'repository.full_name'");
        }
        if (ref.get().startsWith("refs/tags/")) {
            return new Ignored(String.format(Reasons.TAG, ref.get()));
        }
        if (root.path("deleted").asBoolean(false)) {
            return new Ignored(String.format(Reasons.DELETED, ref.get()));
        }
        Optional<Fleet.App> app = fleet.appForRepository(repo.get());
        if (app.isEmpty()) {
            return new Ignored(String.format(Reasons.UNCONFIGURED, repo.get()));
        }
        String branch = app.get().branch() == null ? "main" : app.get().branch();
        if (!ref.get().equals("refs/heads/" + branch)) {
            return new Ignored(
                    String.format(Reasons.OTHER_BRANCH, ref.get(), app.get().name(), branch));
        }
        Optional<String> after = text(root, "after");
        if (after.isEmpty() || !SHA.matcher(after.get()).matches()) {
            return new Malformed("push payload has no 40-hex 'after' commit");
        }
        Optional<String> cloneUrl = text(root.path("repository"), "clone_url");
        if (cloneUrl.isEmpty()) {
            return new Malformed("push payload has no 'repository.clone_url'");
        }
        String pusher =
                text(root.path("pusher"), "name")
                        .or(() -> text(root.path("sender"), "login"))
                        .orElse("unknown");
        return new Build(
                app.get().name(), repo.get(), cloneUrl.get(), ref.get(), after.get(), pusher);
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isTextual() && !v.asText().isBlank() ? Optional.of(v.asText()) : Optional.empty();
    }

    /** The URL-decoded value of a form field. */
    static Optional<String> formField(byte[] body, String name) {
        String form = new String(body, StandardCharsets.US_ASCII);
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (decode(k).equals(name)) {
                return Optional.of(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return Optional.empty();
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
