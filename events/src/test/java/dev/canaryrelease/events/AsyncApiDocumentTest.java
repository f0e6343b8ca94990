package dev.canaryrelease.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The AsyncAPI document describes every topic, type and payload field of the contract. */
class AsyncApiDocumentTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> doc() throws Exception {
        try (InputStream in = AsyncApiDocumentTest.class.getResourceAsStream("/asyncapi.yaml")) {
            assertNotNull(in, "events/src/main/resources/asyncapi.yaml is missing");
            return new Yaml().load(in);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyEventTypeHasAMessageWithItsTypeAndEveryField() throws Exception {
        Map<String, Object> doc = doc();
        assertEquals("3.0.0", doc.get("asyncapi"));
        Map<String, Object> components = (Map<String, Object>) doc.get("components");
        Map<String, Object> messages = (Map<String, Object>) components.get("messages");
        Map<String, Object> schemas = (Map<String, Object>) components.get("schemas");
        for (EventType t : EventType.values()) {
            String name = t.dataClass().getSimpleName();
            Map<String, Object> message = (Map<String, Object>) messages.get(name);
            assertNotNull(message, "asyncapi.yaml has no message for " + t.type());
            assertEquals(t.type(), message.get("name"), "message name of " + name);
            Map<String, Object> schema = (Map<String, Object>) schemas.get(name);
            assertNotNull(schema, "asyncapi.yaml has no schema for " + name);
            Set<String> documented =
                    new TreeSet<>(((Map<String, Object>) schema.get("properties")).keySet());
            Set<String> fields =
                    Arrays.stream(t.dataClass().getRecordComponents())
                            .map(RecordComponent::getName)
                            .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(fields, documented, "payload fields of " + t.type());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyTopicIsAChannelCarryingItsWritersTypes() throws Exception {
        Map<String, Object> channels = (Map<String, Object>) doc().get("channels");
        for (String topic : Topics.ALL) {
            Map<String, Object> channel =
                    (Map<String, Object>) channels.get(AsyncApiWriter.channelName(topic));
            assertNotNull(channel, "asyncapi.yaml has no channel for topic " + topic);
            assertEquals(topic, channel.get("address"));
            Set<String> msgs = ((Map<String, Object>) channel.get("messages")).keySet();
            for (EventType t : EventType.values()) {
                if (t.topic().equals(topic)) {
                    assertTrue(
                            msgs.contains(t.dataClass().getSimpleName()),
                            topic + " lacks " + t.type());
                }
            }
        }
    }
}
