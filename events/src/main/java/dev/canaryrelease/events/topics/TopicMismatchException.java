package dev.canaryrelease.events.topics;

import java.util.List;
import java.util.stream.Collectors;

/** Topics configured differently from what the service needs: the service refuses to start. */
public class TopicMismatchException extends RuntimeException {
    private final transient List<TopicCatalogue.Mismatch> mismatches;

    public TopicMismatchException(List<TopicCatalogue.Mismatch> mismatches) {
        super(message(mismatches));
        this.mismatches = List.copyOf(mismatches);
    }

    public List<TopicCatalogue.Mismatch> mismatches() {
        return mismatches;
    }

    private static String message(List<TopicCatalogue.Mismatch> mismatches) {
        return "refusing to start: Kafka topics are configured differently from what this service"
                + " needs:\n"
                + mismatches.stream().map(m -> "  - " + m).collect(Collectors.joining("\n"))
                + "\nChange the topic (kafka-configs.sh --alter --entity-type topics, or recreate"
                + " it) or the setting named, then start again.";
    }
}
