package dev.canaryrelease.gateway.domain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * GitHub's {@code X-Hub-Signature-256}: {@code sha256=} and the hex HMAC-SHA256 of the raw body
 * with the webhook secret, compared in constant time.
 */
public final class WebhookSignature {
    public static final String PREFIX = "sha256=";

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    public WebhookSignature(byte[] secret) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("the webhook secret is empty");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** The header value GitHub would send for {@code body}. */
    public String sign(byte[] body) {
        return PREFIX + toHex(hmac(body));
    }

    /** True when {@code header} is a valid signature of {@code body}. */
    public boolean verify(String header, byte[] body) {
        if (header == null || !header.startsWith(PREFIX)) {
            return false;
        }
        byte[] given = fromHex(header.substring(PREFIX.length()).trim());
        if (given == null) {
            return false;
        }
        return MessageDigest.isEqual(hmac(body), given);
    }

    private byte[] hmac(byte[] body) {
        Mac mac = macs.get();
        mac.reset();
        return mac.doFinal(body);
    }

    static String toHex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16))
                    .append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    /** Hex to bytes, or null when it is not 64 hex digits. */
    static byte[] fromHex(String hex) {
        if (hex.length() != 64) {
            return null;
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 32; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                return null;
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    /** For tests and tools: the signature of {@code body} with {@code secret}. */
    public static String sign(String secret, byte[] body) {
        return new WebhookSignature(secret.getBytes(StandardCharsets.UTF_8)).sign(body);
    }
}
