package dev.canaryrelease.gateway;

import static io.restassured.RestAssured.given;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.UUID;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.restassured.specification.RequestSpecification;

import dev.canaryrelease.gateway.domain.WebhookSignature;

/** GitHub's documented push and ping payloads (test resources), edited and signed like GitHub. */
public final class Github {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Github() {}

    public static ObjectNode payload(String name) {
        try (InputStream in = Github.class.getResourceAsStream("/github/" + name + ".json")) {
            return (ObjectNode) JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The push payload with a fresh commit sha, edited by {@code edit}. */
    public static byte[] push(Consumer<ObjectNode> edit) {
        ObjectNode p = payload("push");
        String sha = randomSha();
        p.put("after", sha);
        ((ObjectNode) p.get("head_commit")).put("id", sha);
        edit.accept(p);
        return bytes(p);
    }

    public static byte[] push() {
        return push(p -> {});
    }

    public static byte[] bytes(ObjectNode p) {
        try {
            return JSON.writeValueAsBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code after} commit of a push body. */
    public static String afterOf(byte[] body) {
        try {
            return JSON.readTree(body).get("after").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String randomSha() {
        return (UUID.randomUUID().toString() + UUID.randomUUID().toString())
                .replace("-", "")
                .substring(0, 40);
    }

    public static String sign(byte[] body) {
        return WebhookSignature.sign(GatewayTestFiles.SECRET, body);
    }

    /** A signed JSON delivery as GitHub sends it. */
    public static RequestSpecification delivery(String event, String deliveryId, byte[] body) {
        return given().header("X-GitHub-Event", event)
                .header("X-GitHub-Delivery", deliveryId)
                .header("X-GitHub-Hook-ID", "109948940")
                .header("User-Agent", "GitHub-Hookshot/5f3a1c2")
                .header("X-Hub-Signature-256", sign(body))
                .contentType("application/json")
                .body(body);
    }
}
