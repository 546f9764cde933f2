package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.e2e.install.OperatorRelease;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.ProcessView;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The mission, the way it happens in production, on the real node: the operator installed by its chart and running
 * from its image, pools applied with kubectl, workers from the worker image, and real signals from the host. Each
 * scenario ends with the accounting of {@link ScenarioPool#account} and prints its figures.
 */
@ExtendWith(RealNode.class)
@Order(5)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScenariosIT {

    private static LocalCluster cluster;
    private static KubernetesClient client;

    @BeforeAll
    static void theOperatorInstalledByItsChart() {
        cluster = RealNode.cluster();
        client = cluster.client();
        OperatorRelease.install(RealNode.helm(), cluster, RealNode.images());
    }

    @AfterAll
    static void uninstall() {
        if (cluster != null) {
            OperatorRelease.uninstall(RealNode.helm(), cluster);
        }
    }

    @Test
    @Order(1)
    void aRollingUpdateOfABusyPoolLosesNothingAndEveryOldWorkerExitsZero() throws Exception {
        String spec = """
                  replicas: 2
                  threads: 4
                  shutdownTimeout: 20s
                  drainTimeout: 10s
                """;
        try (ScenarioPool pool = ScenarioPool.create(cluster, "rolling", spec)) {
            List<String> before = names(pool.awaitReadyWorkers(2));
            long begin = System.nanoTime();
            List<Long> ids = pool.enqueue("sleep", "{\"ms\": 1500}", 40, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.RUNNING) > 0);

            // A change of the pod template: the Deployment rolls, one new worker before each old one goes.
            pool.apply(spec + template("ROLLOUT", "2"));
            await().atMost(ScenarioPool.POD_START).until(() -> {
                List<Pod> now = pool.workers();
                return now.size() == 2 && now.stream().allMatch(OperatorInstall::ready)
                        && now.stream().noneMatch(p -> before.contains(p.getMetadata().getName()));
            });
            pool.awaitFinished(ids, Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(60)).until(() -> before.stream().allMatch(pool.ends::containsKey));

            ScenarioPool.Accounting accounting = pool.account(ids, Set.of());
            assertThat(accounting.failed).as("nothing failed in the rollout").isZero();
            assertThat(accounting.completed).isEqualTo(40);
            for (String old : before) {
                assertThat(pool.ends.get(old)).as("old worker %s exited 0", old).extracting(ContainerStateTerminated::getExitCode)
                        .containsOnly(0);
            }
            System.out.printf("scenario rolling update: %d jobs, %s, old workers %s exited 0, %.1f s%n", ids.size(), accounting, before,
                    (System.nanoTime() - begin) / 1e9);
        }
    }

    @Test
    @Order(2)
    void aWorkerSigkilledMidJobIsPrunedWithinTwoSecondsOfTheKubeletsReport() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "sigkill", """
                  replicas: 2
                  threads: 2
                  shutdownTimeout: 20s
                """)) {
            List<Pod> workers = pool.awaitReadyWorkers(2);
            List<Long> ids = new java.util.ArrayList<>(pool.enqueue("sleep", "{\"ms\": 15000}", 4, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.RUNNING) == 4);
            Pod victim = workers.get(0);
            String victimName = victim.getMetadata().getName();
            ProcessView process = pool.admin.processes(pool.namespace + "/" + pool.name).stream()
                    .filter(p -> victimName.equals(p.pod())).findFirst().orElseThrow();
            List<Long> held = ids.stream().filter(id -> process.id() == orZero(pool.job(id).claimedBy())).toList();
            assertThat(held).as("the victim holds jobs when it dies").isNotEmpty();

            pool.sigkill(victim);
            await().atMost(Duration.ofSeconds(30)).until(() -> held.stream().allMatch(id -> pool.job(id).state() == JobState.FAILED));
            ContainerStateTerminated end = await().atMost(Duration.ofSeconds(30))
                    .until(() -> pool.ends.getOrDefault(victimName, List.of()).stream().findFirst().orElse(null), java.util.Objects::nonNull);
            assertThat(end.getExitCode()).as("128 + SIGKILL").isEqualTo(137);

            JobView.JobError error = pool.job(held.get(0)).lastError();
            assertThat(error.errorClass()).isEqualTo("ProcessPrunedError");
            assertThat(error.pod()).isEqualTo(victimName);
            assertThat(error.node()).isEqualTo(LocalCluster.NODE_NAME);
            assertThat(error.exitCode()).isEqualTo(137);
            assertThat(error.signal()).isEqualTo("SIGKILL");
            assertThat(error.reason()).as("the container status's reason").isEqualTo(end.getReason());
            Instant reported = pool.endSeenAt.get(end.getContainerID());
            Duration latency = Duration.between(reported, error.prunedAt());
            assertThat(latency).as("ProcessPrunedError from the kubelet's report").isLessThan(Duration.ofSeconds(2));

            withOperatorLogOnFailure(() -> await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                GenericKubernetesResource status = client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool")
                        .inNamespace(pool.namespace).withName(pool.name).get();
                assertThat(status.<Number>get("status", "prunedTotal").longValue()).isEqualTo(1L);
                List<Map<String, Object>> recent = status.get("status", "recentPrunes");
                assertThat(recent).singleElement().satisfies(r -> {
                    assertThat(r).containsEntry("pod", victimName).containsEntry("reason", end.getReason());
                    assertThat(((List<?>) r.get("jobIds")).stream().map(id -> ((Number) id).longValue()).toList())
                            .containsExactlyInAnyOrderElementsOf(held);
                });
                assertThat(client.v1().events().inNamespace(pool.namespace).list().getItems())
                        .anySatisfy(e -> {
                            assertThat(e.getReason()).isEqualTo("ProcessPruned");
                            assertThat(e.getMessage()).contains(victimName, "exit code 137");
                        });
            }));

            // The kubelet restarted the container; the pool recovers and runs what comes next.
            pool.awaitReadyWorkers(2);
            ids.addAll(pool.enqueue("sleep", "{\"ms\": 100}", 20, 1));
            pool.awaitFinished(ids, Duration.ofMinutes(1));
            ScenarioPool.Accounting accounting = pool.account(ids, Set.of(victimName));
            assertThat(accounting.failed).as("only the victim's jobs failed").isEqualTo(held.size());
            assertThat(accounting.pruned).isEqualTo(held.size());
            System.out.printf("scenario SIGKILL: prune %d ms after the kubelet's report (%s, exit code 137); %s%n", latency.toMillis(),
                    end.getReason(), accounting);
        }
    }

    @Test
    @Order(3)
    void scalingDownABusyPoolDrainsTheRemovedWorkersAndNothingFails() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "scaledown", """
                  replicas: 3
                  threads: 2
                  shutdownTimeout: 20s
                  drainTimeout: 10s
                """)) {
            List<String> before = names(pool.awaitReadyWorkers(3));
            long begin = System.nanoTime();
            List<Long> ids = pool.enqueue("sleep", "{\"ms\": 1000}", 30, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.RUNNING) >= 4);

            Kubectl.Result scale = Kubectl.run(cluster, "scale", "jwp/" + pool.name, "-n", pool.namespace, "--replicas=1");
            assertThat(scale.exitCode()).as(scale.output()).isZero();
            await().atMost(Duration.ofMinutes(1)).until(() -> pool.workers().size() == 1);
            List<String> removed = before.stream().filter(n -> !names(pool.workers()).contains(n)).toList();
            pool.awaitFinished(ids, Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(60)).until(() -> removed.stream().allMatch(pool.ends::containsKey));

            ScenarioPool.Accounting accounting = pool.account(ids, Set.of());
            assertThat(accounting.failed).isZero();
            assertThat(accounting.completed).isEqualTo(30);
            assertThat(removed).hasSize(2).allSatisfy(name -> assertThat(pool.ends.get(name))
                    .as("removed worker %s drained and exited 0", name).extracting(ContainerStateTerminated::getExitCode).containsOnly(0));
            System.out.printf("scenario scale down 3 -> 1: %s, removed workers %s exited 0, %.1f s%n", accounting, removed,
                    (System.nanoTime() - begin) / 1e9);
        }
    }

    /** Runs {@code check}; when it fails, the operator's log goes to the test output first, since it goes with the cluster. */
    private static void withOperatorLogOnFailure(Runnable check) {
        try {
            check.run();
        } catch (RuntimeException | AssertionError e) {
            System.out.println("operator log:\n" + Kubectl.run(cluster, "logs", "-n", OperatorRelease.NAMESPACE,
                    "deploy/" + OperatorRelease.NAME, "--tail=200").output());
            throw e;
        }
    }

    private static String template(String env, String value) {
        return """
                  template:
                    env:
                      - {name: STEVEDORE_DEMO_HANDLERS, value: "true"}
                      - {name: %s, value: "%s"}
                    resources:
                      requests: {cpu: 50m, memory: 256Mi}
                      limits: {memory: 384Mi}
                """.formatted(env, value);
    }

    private static List<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).toList();
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
