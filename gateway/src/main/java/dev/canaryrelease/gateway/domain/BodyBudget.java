package dev.canaryrelease.gateway.domain;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies the gateway may hold before anything about the sender is verified (a
 * webhook's signature, an API token): pure accounting, no I/O.
 *
 * <p>A request is admitted only when its whole body fits: its {@code Content-Length}, or for a body
 * of unknown length (chunked) the largest body allowed. Bodies over {@link #SMALL_BODY_BYTES} may
 * use only three quarters of the budget, so a flood of large (or chunked) bodies always leaves a
 * quarter for small ones such as a real push (about 10 kB).
 */
public final class BodyBudget {

    /** A body up to this size may use the whole budget; a larger one leaves a quarter free. */
    public static final long SMALL_BODY_BYTES = 256 * 1024;

    /** What to do with a request before reading its body. */
    public sealed interface Admission {}

    /** No body (no {@code Content-Length} above 0, not chunked): nothing to reserve. */
    public record NoBody() implements Admission {}

    /** Reserve {@code bytes} (the length, or the largest body for a chunked one), then read. */
    public record Reserve(long bytes, boolean chunked) implements Admission {}

    /** {@code Content-Length} over the largest body: 413 without reading it. */
    public record TooLarge(long bytes) implements Admission {}

    /** A {@code Content-Length} that is not a number of bytes: 400. */
    public record BadLength(String value) implements Admission {}

    private final long total;
    private final long maxBody;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong highWater = new AtomicLong();

    public BodyBudget(long total, long maxBody) {
        if (maxBody < 1) {
            throw new IllegalArgumentException("the largest body must be at least 1 byte");
        }
        if (largeLimit(total) < maxBody) {
            throw new IllegalArgumentException(
                    "canary.gateway.unverified-body-budget-bytes ("
                            + total
                            + ") must be at least 4/3 of canary.gateway.max-payload-bytes ("
                            + maxBody
                            + "): bodies over "
                            + SMALL_BODY_BYTES
                            + " bytes may use only three quarters of the budget");
        }
        this.total = total;
        this.maxBody = maxBody;
    }

    private static long largeLimit(long total) {
        return total - total / 4;
    }

    /** What a request with these headers needs before its body is read. */
    public Admission admit(String method, String contentLength, String transferEncoding) {
        if (contentLength != null) {
            long n;
            try {
                n = Long.parseLong(contentLength.trim());
            } catch (NumberFormatException e) {
                return new BadLength(contentLength);
            }
            if (n < 0) {
                return new BadLength(contentLength);
            }
            if (n > maxBody) {
                return new TooLarge(n);
            }
            return n == 0 ? new NoBody() : new Reserve(n, false);
        }
        boolean chunked =
                transferEncoding != null
                        && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked");
        if (chunked) {
            return new Reserve(maxBody, true);
        }
        // HTTP/1.1 without a length and not chunked has no body (RFC 9112 6.3); an HTTP/2 stream
        // may still carry one: count it as of unknown length when the method takes a body.
        return switch (method == null ? "" : method.toUpperCase(Locale.ROOT)) {
            case "POST", "PUT", "PATCH" -> new Reserve(maxBody, true);
            default -> new NoBody();
        };
    }

    /** Takes {@code bytes} from the budget; false (nothing taken) when they do not fit. */
    public boolean tryReserve(long bytes) {
        long limit = bytes > SMALL_BODY_BYTES ? largeLimit(total) : total;
        while (true) {
            long cur = used.get();
            if (cur + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(cur, cur + bytes)) {
                highWater.accumulateAndGet(cur + bytes, Math::max);
                return true;
            }
        }
    }

    /** Gives back what {@link #tryReserve} took. */
    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Bytes reserved now. */
    public long used() {
        return used.get();
    }

    /** The most bytes ever reserved at once since start. */
    public long highWater() {
        return highWater.get();
    }

    public long total() {
        return total;
    }

    public long maxBody() {
        return maxBody;
    }
}
