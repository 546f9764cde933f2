package dev.stevedore.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.operator.KubernetesTestResource;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.operator.model.JobWorkerPoolStatus;
import dev.stevedore.operator.model.ScheduleSpec;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Schedule;
import dev.stevedore.queue.ScheduleView;
import dev.stevedore.queue.Schedules;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * spec.schedules, reconciled by the operator into a real queue database against a real kube-apiserver: a GitOps
 * repository holds the schedules, and the pool's status shows their runs.
 */
@QuarkusTest
@QuarkusTestResource(KubernetesTestResource.class)
@ExtendWith(PostgresExtension.class)
class PoolSchedulesTest {

    private static final String NS = "schedules";

    @Inject
    KubernetesClient client;

    private Schedules schedules;

    @BeforeEach
    void setUp(TestDatabase db) {
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);
        schedules = new Schedules(db.dataSource(), QueueSchema.DEFAULT);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).serverSideApply();
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("queue-db").endMetadata()
                .addToData("jdbc-uri", b64(db.jdbcUrl())).addToData("username", b64(db.user()))
                .addToData("password", b64(db.password() == null ? "" : db.password())).build()).serverSideApply();
    }

    @Test
    void theSpecsSchedulesAreWrittenRunReportedAndRemovedWithTheSpec(TestDatabase db) throws Exception {
        createPool("reports", List.of(
                schedule("nightly-report", "30 2 * * *", "Europe/Berlin", "{\"kind\": \"sales\", \"days\": 7}"),
                schedule("every-second", "* * * * * *", null, null)));

        await().atMost(Duration.ofSeconds(30)).until(() -> ofPool("reports").size() == 2);
        ScheduleView nightly = schedules.get("nightly-report").orElseThrow();
        assertThat(nightly.pool()).isEqualTo(NS + "/reports");
        assertThat(nightly.schedule().timeZone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(new ObjectMapper().readTree(nightly.schedule().args())).isEqualTo(new ObjectMapper().readTree("{\"kind\": \"sales\", \"days\": 7}"));
        assertThat(nightly.nextRunAt().atZone(ZoneId.of("Europe/Berlin")).getHour()).isEqualTo(2);

        // A worker enqueues the runs; the status shows the last and the next.
        try (Worker worker = Worker.start(db.dataSource(), QueueSchema.DEFAULT,
                WorkerConfig.builder(ProcessIdentity.local(NS + "/reports")).queues(List.of("reports")).build(),
                HandlerRegistry.builder().register("build-report", job -> {}).build(), QueueListener.NONE)) {
            JobWorkerPoolStatus.ScheduleState everySecond = await().atMost(Duration.ofSeconds(30)).until(
                    () -> state("every-second"), s -> s != null && s.getLastRunAt() != null && s.getLastJobId() != null);
            assertThat(Instant.parse(everySecond.getNextRunAt())).isAfter(Instant.parse(everySecond.getLastRunAt()));
            assertThat(everySecond.getError()).isNull();
        }
        JobWorkerPoolStatus.ScheduleState nightlyState = state("nightly-report");
        assertThat(Instant.parse(nightlyState.getNextRunAt())).isEqualTo(nightly.nextRunAt());
        assertThat(nightlyState.getLastRunAt()).isNull();

        // Removed from the spec, it is deleted from the database.
        client.resources(JobWorkerPool.class).inNamespace(NS).withName("reports").edit(p -> {
            p.getSpec().setSchedules(List.of(p.getSpec().getSchedules().get(0)));
            return p;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> schedules.get("every-second").isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> pool().getStatus().getSchedules().size() == 1);
        assertThat(ofPool("reports")).containsExactly("nightly-report");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("ScheduleDeleted");
                    assertThat(e.getMessage()).contains("every-second");
                }));

        // The pool is deleted (no finalizer holds it): a reconcile of another pool on the database deletes its schedules.
        createPool("keeper", List.of());
        client.resources(JobWorkerPool.class).inNamespace(NS).withName("reports").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> ofPool("reports").isEmpty());
    }

    /** A name set by hand is not taken over: the pool's entry says why, with a Warning event; the others apply. */
    @Test
    void aNameSetByHandIsNotTakenAndTheStatusSaysWhy() {
        schedules.set(Schedule.of("cleanup", "@daily", "maintenance", "clean").build());
        createPool("ops", List.of(schedule("cleanup", "@hourly", null, null), schedule("ops-hourly", "@hourly", null, null)));

        JobWorkerPoolStatus status = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.resources(JobWorkerPool.class).inNamespace(NS).withName("ops").get().getStatus(),
                s -> s != null && s.getSchedules().size() == 2);
        assertThat(status.getSchedules().get(0).getError()).contains("taken by a schedule set by hand");
        assertThat(status.getSchedules().get(1).getError()).isNull();
        assertThat(status.getSchedules().get(1).getNextRunAt()).isNotNull();
        assertThat(schedules.get("cleanup").orElseThrow().schedule().cron().expression()).isEqualTo("@daily");
        assertThat(schedules.get("cleanup").orElseThrow().pool()).isNull();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("ScheduleConflict");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).contains("'cleanup'");
                }));
    }

    @Test
    void aBadScheduleMakesThePoolDegradedNamingTheEntryAndField() {
        createPool("typo", List.of(schedule("fine", "@hourly", null, null), schedule("typo", "0 2 * * MOON", "Europe/Berlin", null)));

        var degraded = await().atMost(Duration.ofSeconds(30)).until(
                () -> PoolStatus.find(client.resources(JobWorkerPool.class).inNamespace(NS).withName("typo").get().getStatus(), PoolStatus.DEGRADED)
                        .orElse(null),
                c -> c != null && "True".equals(c.getStatus()));
        assertThat(degraded.getMessage()).contains("spec.schedules[1]: schedule 'typo': cron \"0 2 * * MOON\"", "day of week");
        assertThat(ofPool("typo")).isEmpty();
    }

    /** The names of the schedules the pool declares, in the database. */
    private List<String> ofPool(String pool) {
        return schedules.list().stream().filter(v -> (NS + "/" + pool).equals(v.pool())).map(v -> v.schedule().name()).toList();
    }

    /** A pool of no Pods (the test runs the workers it needs) on the test database, with these schedules. */
    private void createPool(String name, List<ScheduleSpec> poolSchedules) {
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName(name);
        pool.getMetadata().setNamespace(NS);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(0);
        DatabaseSpec database = new DatabaseSpec();
        database.setSecretName("queue-db");
        spec.setDatabase(database);
        spec.setSchedules(poolSchedules);
        pool.setSpec(spec);
        client.resource(pool).create();
    }

    private JobWorkerPool pool() {
        return client.resources(JobWorkerPool.class).inNamespace(NS).withName("reports").get();
    }

    private JobWorkerPoolStatus.ScheduleState state(String name) {
        JobWorkerPool pool = pool();
        if (pool.getStatus() == null) {
            return null;
        }
        return pool.getStatus().getSchedules().stream().filter(s -> Objects.equals(s.getName(), name)).findFirst().orElse(null);
    }

    private static ScheduleSpec schedule(String name, String cron, String zone, String args) {
        ScheduleSpec s = new ScheduleSpec();
        s.setName(name);
        s.setCron(cron);
        if (zone != null) {
            s.setTimeZone(zone);
        }
        s.setQueue("reports");
        s.setHandler("build-report");
        if (args != null) {
            try {
                s.setArgs(new ObjectMapper().readTree(args));
            } catch (Exception e) {
                throw new IllegalArgumentException(e);
            }
        }
        return s;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
