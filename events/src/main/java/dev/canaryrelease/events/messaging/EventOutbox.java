package dev.canaryrelease.events.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Metrics;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * The events a service has decided, on their way to Kafka, so that deciding never waits for the
 * broker. {@link #publish} makes the envelope at once (its id and causation are final, and the
 * caller may act on it) and queues it; one named thread sends what is queued, in order, and keeps
 * each event until Kafka acknowledged it. A failed send (the broker is down, the producer timed
 * out) is retried after a back-off ({@code firstPause}, doubling up to {@code maxPause}) for as
 * long as it takes: an event is never dropped and never dead-lettered for an outage.
 *
 * <p>The queue lives in memory. After a crash, what was queued but not acknowledged is not lost
 * either: the service's replay finds a decision whose event is missing from its topic and makes it
 * again (deploy-service's "decided but not done"). Events queued together are sent together, and
 * each waits for its own acknowledgement; when one fails while a later one got through, the failed
 * one is sent again after it (consumers take each event once by id and order a chain by causation).
 *
 * <p>Metrics: {@value #PENDING} (gauge, events not yet acknowledged) and {@value #RETRIES}
 * (counter, sends tried again).
 */
public final class EventOutbox implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventOutbox.class);

    /** Gauge: events queued and not yet acknowledged by Kafka. */
    public static final String PENDING = "canary.outbox.pending";

    /** Counter: sends that failed and are tried again. */
    public static final String RETRIES = "canary.outbox.retries";

    private final String source;
    private final Function<EventEnvelope<?>, CompletionStage<Void>> sink;
    private final Duration firstPause;
    private final Duration maxPause;
    private final Duration sendTimeout;
    private final Deque<Queued> queue = new ArrayDeque<>();
    private final Thread sender;
    private volatile boolean closed;

    private record Queued(EventEnvelope<?> event, Instant since) {}

    /**
     * @param sendTimeout how long one send may wait for its acknowledgement before it counts as
     *     failed and is sent again (the producer's own {@code delivery.timeout.ms} is the usual
     *     bound; this one guards against a send that never completes)
     */
    public EventOutbox(
            EventPublisher publisher,
            String threadName,
            Duration firstPause,
            Duration maxPause,
            Duration sendTimeout) {
        this(publisher.source(), publisher::send, threadName, firstPause, maxPause, sendTimeout);
    }

    /** An outbox for events of {@code source}, each handed to {@code sink} to be sent. */
    EventOutbox(
            String source,
            Function<EventEnvelope<?>, CompletionStage<Void>> sink,
            String threadName,
            Duration firstPause,
            Duration maxPause,
            Duration sendTimeout) {
        this.source = source;
        this.sink = sink;
        this.firstPause = firstPause;
        this.maxPause = maxPause;
        this.sendTimeout = sendTimeout;
        Metrics.gauge(PENDING, this, EventOutbox::pending);
        this.sender = new Thread(this::run, threadName);
        sender.setDaemon(true);
        sender.start();
    }

    /** Makes the event caused by {@code cause} (null: it starts a chain) and queues it. */
    public <T extends CanaryEvent> EventEnvelope<T> publish(EventEnvelope<?> cause, T data) {
        EventEnvelope<T> e =
                cause == null ? EventEnvelope.of(source, data) : cause.causes(source, data);
        synchronized (this) {
            if (closed) throw new IllegalStateException("the outbox is closed");
            queue.addLast(new Queued(e, Instant.now()));
            notifyAll();
        }
        return e;
    }

    /** Events not yet acknowledged. */
    public synchronized int pending() {
        return queue.size();
    }

    /** Since when the oldest event not yet acknowledged waits. */
    public synchronized Optional<Instant> oldestSince() {
        return Optional.ofNullable(queue.peekFirst()).map(Queued::since);
    }

    /** Waits until every queued event is acknowledged, at most {@code timeout}. */
    public boolean awaitEmpty(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (!queue.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return true;
    }

    private void run() {
        Duration pause = firstPause;
        while (!closed) {
            List<Queued> batch;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) return;
                batch = new ArrayList<>(queue);
            }
            List<CompletableFuture<Void>> sent = new ArrayList<>(batch.size());
            for (Queued q : batch) sent.add(send(q.event()));
            Throwable failure = null;
            int failed = 0;
            for (int i = 0; i < batch.size(); i++) {
                try {
                    sent.get(i).get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
                    synchronized (this) {
                        queue.remove(batch.get(i));
                        notifyAll();
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    failed++;
                    if (failure == null) {
                        failure = e instanceof ExecutionException ? e.getCause() : e;
                    }
                }
            }
            if (failure == null) {
                pause = firstPause;
                continue;
            }
            Metrics.counter(RETRIES).increment(failed);
            LOG.warnf(
                    "%d of %d events not acknowledged by Kafka (%s); %d wait, the oldest since %s;"
                            + " sending again in %d ms",
                    failed,
                    batch.size(),
                    failure,
                    pending(),
                    oldestSince().map(Instant::toString).orElse("-"),
                    pause.toMillis());
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            Duration next = pause.multipliedBy(2);
            pause = next.compareTo(maxPause) > 0 ? maxPause : next;
        }
    }

    private CompletableFuture<Void> send(EventEnvelope<?> e) {
        try {
            return sink.apply(e).toCompletableFuture();
        } catch (RuntimeException ex) {
            // the emitter refuses at once (its channel failed, or its buffer is full)
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Stops the sender after it sent what is queued, waiting at most {@code grace}; what is left is
     * logged (the service's replay makes it again at the next start).
     */
    public void close(Duration grace) {
        try {
            awaitEmpty(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public void close() {
        int left;
        synchronized (this) {
            closed = true;
            left = queue.size();
            notifyAll();
        }
        sender.interrupt();
        if (left > 0) {
            LOG.warnf(
                    "outbox closed with %d events not acknowledged (made again at the next start)",
                    left);
        }
    }
}
