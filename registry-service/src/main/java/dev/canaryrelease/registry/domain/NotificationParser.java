package dev.canaryrelease.registry.domain;

import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads a registry notification envelope ({@code {"events":[...]}}) and keeps the manifest pushes
 * by tag: {@code action: push} with a manifest media type and a tag. Pulls (GET and HEAD), blob
 * pushes, deletes and the per-platform manifests of an index (pushed by digest, without a tag) are
 * counted as ignored.
 */
public final class NotificationParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DIGEST =
            Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    private static final Pattern REPOSITORY =
            Pattern.compile(
                    "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");

    /** The pushes to process and how many events were not pushes of a tagged manifest. */
    public record Parsed(List<ManifestPush> pushes, int events, int ignored) {}

    private NotificationParser() {}

    /**
     * @throws MalformedNotificationException when the body is not an envelope, or a push event
     *     lacks what identifies it
     */
    public static Parsed parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new MalformedNotificationException("empty body");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonParseException e) {
            throw new MalformedNotificationException("not JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedNotificationException("not JSON", e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedNotificationException("not a JSON object");
        }
        JsonNode events = root.get("events");
        if (events == null || !events.isArray()) {
            throw new MalformedNotificationException("no \"events\" array");
        }
        List<ManifestPush> pushes = new ArrayList<>();
        int ignored = 0;
        for (int i = 0; i < events.size(); i++) {
            JsonNode ev = events.get(i);
            String at = "events[" + i + "]";
            if (!ev.isObject()) {
                throw new MalformedNotificationException(at + " is not an object");
            }
            JsonNode target = ev.get("target");
            String action = text(ev, "action");
            if (action == null) {
                throw new MalformedNotificationException(at + ".action missing");
            }
            if (!"push".equals(action)) {
                ignored++;
                continue;
            }
            if (target == null || !target.isObject()) {
                throw new MalformedNotificationException(at + ".target missing");
            }
            String mediaType = MediaTypes.base(text(target, "mediaType"));
            String tag = text(target, "tag");
            if (mediaType == null
                    || !MediaTypes.MANIFESTS.contains(mediaType)
                    || tag == null
                    || tag.isEmpty()) {
                ignored++;
                continue;
            }
            String repository = text(target, "repository");
            String digest = text(target, "digest");
            if (repository == null || !REPOSITORY.matcher(repository).matches()) {
                throw new MalformedNotificationException(
                        at + ".target.repository missing or invalid");
            }
            if (digest == null || !DIGEST.matcher(digest).matches()) {
                throw new MalformedNotificationException(at + ".target.digest missing or invalid");
            }
            if (!TAG.matcher(tag).matches()) {
                throw new MalformedNotificationException(at + ".target.tag invalid");
            }
            pushes.add(
                    new ManifestPush(
                            repository,
                            tag,
                            digest,
                            mediaType,
                            time(ev, at),
                            text(ev, "id"),
                            actor(ev)));
        }
        return new Parsed(List.copyOf(pushes), events.size(), ignored);
    }

    /** {@code actor.name}: the authenticated user who made the request, or null. */
    private static String actor(JsonNode ev) {
        JsonNode actor = ev.get("actor");
        String name = actor == null || !actor.isObject() ? null : text(actor, "name");
        return name == null || name.isBlank() ? null : name;
    }

    private static Instant time(JsonNode ev, String at) {
        String ts = text(ev, "timestamp");
        if (ts == null) {
            return Instant.now();
        }
        try {
            return OffsetDateTime.parse(ts).toInstant();
        } catch (DateTimeParseException e) {
            throw new MalformedNotificationException(at + ".timestamp is not RFC 3339: " + ts, e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isTextual() ? null : v.asText();
    }
}
