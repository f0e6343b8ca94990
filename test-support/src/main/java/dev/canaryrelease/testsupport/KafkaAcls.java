package dev.canaryrelease.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;

import dev.canaryrelease.events.acl.KafkaPrincipals;

/**
 * Puts {@link KafkaPrincipals#bindings()} on a broker, as its super user: adds what is missing and
 * removes any ACL the table does not hold (a principal or right taken out of the table loses it on
 * the next start).
 */
public final class KafkaAcls {
    private KafkaAcls() {}

    /** Applies the table; waits up to {@code timeout} for a broker still starting. */
    public static void apply(String bootstrap, KafkaTls tls, Duration timeout) {
        Map<String, Object> c = new HashMap<>(tls.client(KafkaPrincipals.BROKER));
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
        c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000);
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = Admin.create(c)) {
                Set<AclBinding> wanted = new HashSet<>(KafkaPrincipals.bindings());
                Set<AclBinding> present =
                        new HashSet<>(
                                admin.describeAcls(AclBindingFilter.ANY)
                                        .values()
                                        .get(20, TimeUnit.SECONDS));
                List<AclBinding> add = new ArrayList<>(wanted);
                add.removeAll(present);
                if (!add.isEmpty()) admin.createAcls(add).all().get(20, TimeUnit.SECONDS);
                List<AclBindingFilter> remove = new ArrayList<>();
                for (AclBinding b : present) {
                    if (!wanted.contains(b)) remove.add(b.toFilter());
                }
                if (!remove.isEmpty()) admin.deleteAcls(remove).all().get(20, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (Exception e) {
                last = e;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
        throw new IllegalStateException("cannot set the ACLs on " + bootstrap + ": " + last, last);
    }
}
