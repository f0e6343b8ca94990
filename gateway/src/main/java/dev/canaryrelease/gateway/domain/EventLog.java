package dev.canaryrelease.gateway.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Every CloudEvent the gateway has read, in the order it read them, for the live stream. Each entry
 * keeps its Kafka position so a client's cursor ({@link StreamCursor}) can say what it has seen.
 */
@ApplicationScoped
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

    private final List<Logged> entries = new ArrayList<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public void append(Logged e) {
        synchronized (this) {
            entries.add(e);
        }
        for (Runnable l : listeners) {
            l.run();
        }
    }

    /** The entry at {@code index}, or null when there is none yet. */
    public synchronized Logged get(int index) {
        return index < entries.size() ? entries.get(index) : null;
    }

    public synchronized int size() {
        return entries.size();
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
