package dev.canaryrelease.gateway.domain;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The most recent CloudEvents the gateway has read ({@code canary.gateway.stream-buffer}), in the
 * order it read them, for the live stream. Each entry keeps its Kafka position so a client's cursor
 * ({@link StreamCursor}) can say what it has seen. Entries are numbered from 0 in reading order;
 * the oldest are dropped once the buffer is full ({@link #first}).
 */
public class EventLog {

    /**
     * One event: its Kafka position, what streams filter on, and the structured-mode CloudEvent
     * JSON sent to clients.
     */
    public record Logged(
            String topic,
            int partition,
            long offset,
            String releaseId,
            String app,
            String type,
            String json) {
        public String position() {
            return topic + ":" + partition + ":" + offset;
        }
    }

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final int capacity;
    private long first;
    private int count;
    // a ring: entry i is at i % ring.length; grows up to capacity
    private Logged[] ring;

    public EventLog(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("stream buffer must be at least 1: " + capacity);
        }
        this.capacity = capacity;
        this.ring = new Logged[Math.min(capacity, 1024)];
    }

    public void append(Logged e) {
        synchronized (this) {
            long next = first + count;
            if (count == capacity) {
                first++;
                count--;
            } else if (count == ring.length) {
                Logged[] bigger = new Logged[Math.min(capacity, ring.length * 2)];
                for (long i = first; i < next; i++) {
                    bigger[(int) (i % bigger.length)] = ring[(int) (i % ring.length)];
                }
                ring = bigger;
            }
            count++;
            ring[(int) (next % ring.length)] = e;
        }
        for (Runnable l : listeners) {
            l.run();
        }
    }

    /**
     * The entry at {@code index}, or null when there is none yet (or it was dropped: start from
     * {@link #first}).
     */
    public synchronized Logged get(long index) {
        if (index < first || index >= first + count) {
            return null;
        }
        return ring[(int) (index % ring.length)];
    }

    /** The index of the oldest entry kept. */
    public synchronized long first() {
        return first;
    }

    /** The index the next entry will get. */
    public synchronized long size() {
        return first + count;
    }

    /** Runs {@code listener} after every append (on the appending thread: keep it short). */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    public int listenerCount() {
        return listeners.size();
    }
}
