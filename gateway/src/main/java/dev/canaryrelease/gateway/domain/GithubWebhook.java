package dev.canaryrelease.gateway.domain;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

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
        Fields root;
        try {
            root = Fields.read(json);
        } catch (NotAnObject e) {
            return new Malformed("the payload is not a JSON object");
        } catch (IOException e) {
            return new Malformed(
                    "malformed JSON: "
                            + firstLine(
                                    e instanceof JsonProcessingException j
                                            ? j.getOriginalMessage()
                                            : e.getMessage()));
        }
        return switch (event) {
            case "ping" -> new Pong(root.zen, root.hookId);
            case "push" -> push(root);
            default -> new Ignored(String.format(Reasons.OTHER_EVENT, event));
        };
    }

    private static final class NotAnObject extends IOException {
        NotAnObject() {
            super("not an object", null);
        }
    }

    /**
     * The few fields the gateway reads, pulled from the payload with a streaming parser: every
     * other value is skipped (but still checked to be well-formed JSON), so a 10 kB push does not
     * become a tree of objects on the hot path.
     */
    static final class Fields {
        private static final JsonFactory FACTORY = new JsonFactory();

        String ref;
        String after;
        boolean deleted;
        String repositoryFullName;
        String cloneUrl;
        String pusherName;
        String senderLogin;
        String zen;
        Long hookId;

        static Fields read(byte[] json) throws IOException {
            Fields f = new Fields();
            try (JsonParser p = FACTORY.createParser(json)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    if (p.currentToken() == null) {
                        throw new NotAnObject();
                    }
                    p.skipChildren();
                    throw new NotAnObject();
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (name) {
                        case "ref" -> f.ref = text(p, v);
                        case "after" -> f.after = text(p, v);
                        case "zen" -> f.zen = text(p, v);
                        case "deleted" -> f.deleted = v == JsonToken.VALUE_TRUE;
                        case "hook_id" ->
                                f.hookId =
                                        v == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : null;
                        case "repository" ->
                                object(
                                        p,
                                        v,
                                        (k, t) -> {
                                            if (k.equals("full_name")) {
                                                f.repositoryFullName = text(p, t);
                                            } else if (k.equals("clone_url")) {
                                                f.cloneUrl = text(p, t);
                                            } else {
                                                p.skipChildren();
                                            }
                                        });
                        case "pusher" ->
                                object(
                                        p,
                                        v,
                                        (k, t) -> {
                                            if (k.equals("name")) f.pusherName = text(p, t);
                                            else p.skipChildren();
                                        });
                        case "sender" ->
                                object(
                                        p,
                                        v,
                                        (k, t) -> {
                                            if (k.equals("login")) f.senderLogin = text(p, t);
                                            else p.skipChildren();
                                        });
                        default -> p.skipChildren();
                    }
                }
                if (p.nextToken() != null) {
                    throw new JsonParseException(p, "unexpected content after the object");
                }
            }
            return f;
        }

        private interface FieldReader {
            void read(String name, JsonToken value) throws IOException;
        }

        private static void object(JsonParser p, JsonToken v, FieldReader reader)
                throws IOException {
            if (v != JsonToken.START_OBJECT) {
                p.skipChildren();
                return;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String k = p.currentName();
                reader.read(k, p.nextToken());
            }
        }

        private static String text(JsonParser p, JsonToken v) throws IOException {
            if (v == JsonToken.VALUE_STRING) {
                String s = p.getText();
                return s.isBlank() ? null : s;
            }
            p.skipChildren();
            return null;
        }
    }

    private Outcome push(Fields root) {
        Optional<String> ref = Optional.ofNullable(root.ref);
        Optional<String> repo = Optional.ofNullable(root.repositoryFullName);
        if (ref.isEmpty()) {
            return new Malformed("push payload has no 'ref'");
        }
        if (repo.isEmpty()) {
            return new Malformed("push payload has no 'repository.full_name'");
        }
        if (ref.get().startsWith("refs/tags/")) {
            return new Ignored(String.format(Reasons.TAG, ref.get()));
        }
        if (root.deleted) {
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
        if (root.after == null || !SHA.matcher(root.after).matches()) {
            return new Malformed("push payload has no 40-hex 'after' commit");
        }
        if (root.cloneUrl == null) {
            return new Malformed("push payload has no 'repository.clone_url'");
        }
        String pusher =
                root.pusherName != null
                        ? root.pusherName
                        : root.senderLogin != null ? root.senderLogin : "unknown";
        return new Build(
                app.get().name(), repo.get(), root.cloneUrl, ref.get(), root.after, pusher);
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
