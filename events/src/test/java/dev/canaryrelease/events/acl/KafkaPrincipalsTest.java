package dev.canaryrelease.events.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;

/** The ACL table agrees with the contract's writer table. */
class KafkaPrincipalsTest {
    @Test
    void everyTopicHasExactlyOneWriter() {
        for (String topic : Topics.ALL) {
            long writers =
                    KafkaPrincipals.GRANTS.stream().filter(g -> g.writes().contains(topic)).count();
            assertEquals(1, writers, topic);
        }
    }

    @Test
    void eachTypesTopicIsWrittenByThePrincipalOfItsSource() {
        for (EventType t : EventType.values()) {
            String writer = KafkaPrincipals.writerSource(t.topic()).orElseThrow();
            assertTrue(writer.startsWith(EventEnvelope.sourceOf("")), writer);
        }
        assertEquals(
                EventEnvelope.sourceOf("gateway"),
                KafkaPrincipals.writerSource(Topics.GATEWAY).orElseThrow());
        assertEquals(
                EventEnvelope.sourceOf("deploy-service"),
                KafkaPrincipals.writerSource(Topics.DEPLOY).orElseThrow());
    }

    @Test
    void theMonitorWritesNothing() {
        Set<AclBinding> monitor =
                KafkaPrincipals.bindings().stream()
                        .filter(b -> b.entry().principal().equals("User:monitor"))
                        .collect(Collectors.toSet());
        assertFalse(monitor.isEmpty());
        for (AclBinding b : monitor) {
            assertTrue(
                    Set.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)
                            .contains(b.entry().operation()),
                    b.toString());
        }
    }

    @Test
    void onlyATopicsWriterMayWriteOrReconfigureIt() {
        for (AclBinding b : KafkaPrincipals.bindings()) {
            if (b.pattern().resourceType() != ResourceType.TOPIC) continue;
            AclOperation op = b.entry().operation();
            if (op != AclOperation.WRITE && op != AclOperation.ALTER_CONFIGS) continue;
            String principal = b.entry().principal().substring("User:".length());
            assertTrue(
                    KafkaPrincipals.grant(principal)
                            .orElseThrow()
                            .writes()
                            .contains(b.pattern().name()),
                    b.toString());
        }
    }
}
