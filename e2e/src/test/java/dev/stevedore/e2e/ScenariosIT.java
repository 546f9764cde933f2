package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.e2e.install.OperatorRelease;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.ProcessView;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
            List<Long> held = pool.heldBy(pool.process(victimName).id(), ids);
            // The kubelet reports container times to the second and a second of clock difference is tolerated, so only a
            // process registered over two seconds before its container ended is provably of that container (README): a
            // younger one is left to its heartbeat. Under load the jobs can be running sooner than that after start.
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                ProcessView p = pool.process(victimName);
                return Duration.between(p.startedAt(), p.observedAt()).compareTo(Duration.ofMillis(2500)) > 0;
            });

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

    @Test
    @Order(4)
    void aJobPastTheMemoryLimitIsOomKilledRetriedOnceThenFailsWhileTheRestCompletes() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "oom", """
                  replicas: 2
                  threads: 2
                  prunedJobs: {retryPolicy: Bounded, retryLimit: 1, retryBackoff: 1s}
                """)) {
            pool.awaitReadyWorkers(2);
            long begin = System.nanoTime();
            List<Long> ids = new java.util.ArrayList<>(pool.enqueue("sleep", "{\"ms\": 500}", 20, 3));
            // Takes memory until the kernel stops it: 384 MiB is the container's limit.
            long hog = pool.enqueue("allocate", "{}", 1, 5).get(0);
            ids.add(hog);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> pool.job(hog).state() == JobState.FAILED);

            JobView job = pool.job(hog);
            assertThat(job.prunes()).as("pruned twice: once retried, then failed").isEqualTo(2);
            List<JsonNode> prunes = new java.util.ArrayList<>();
            new ObjectMapper().readTree(job.errors()).forEach(e -> {
                if (e.path("class").asText().equals("ProcessPrunedError")) {
                    prunes.add(e);
                }
            });
            assertThat(prunes).hasSize(2).allSatisfy(e -> {
                assertThat(e.path("reason").asText()).as("the container status's reason").isEqualTo("OOMKilled");
                assertThat(e.path("exitCode").asInt()).isEqualTo(137);
            });
            pool.awaitFinished(ids, Duration.ofMinutes(2));
            Set<String> oomKilled = pool.podsThatEnded("OOMKilled");
            assertThat(oomKilled).as("the kernel OOM-killed the workers that ran it").isNotEmpty();
            ScenarioPool.Accounting accounting = pool.account(ids, oomKilled);
            assertThat(accounting.failed).as("only the job past the limit failed").isEqualTo(1);
            assertThat(accounting.completed).isEqualTo(20);
            System.out.printf("scenario OOMKilled: the hog was OOM-killed twice (retried once, then failed); %s; %.1f s%n", accounting,
                    (System.nanoTime() - begin) / 1e9);
        }
    }

    @Test
    @Order(5)
    void aPoisonPillEndsFailedAfterThreePrunesAndThePoolStaysAvailable() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "poison", """
                  replicas: 2
                  threads: 1
                  prunedJobs: {retryPolicy: Bounded, retryLimit: 2, retryBackoff: 1s}
                """)) {
            pool.awaitReadyWorkers(2);
            long begin = System.nanoTime();
            // One slot per worker: the pill takes no other job down with it.
            long pill = pool.enqueue("crash", "{\"exitCode\": 1}", 1, 5).get(0);
            List<Long> ids = new java.util.ArrayList<>(pool.enqueue("sleep", "{\"ms\": 100}", 30, 1));
            ids.add(pill);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> pool.job(pill).state() == JobState.FAILED);
            JobView job = pool.job(pill);
            assertThat(job.prunes()).as("the policy's 2 retries, then failed: 3 prunes, never a crash loop").isEqualTo(3);
            assertThat(job.lastError().errorClass()).isEqualTo("ProcessPrunedError");
            pool.awaitFinished(ids, Duration.ofMinutes(2));
            pool.awaitReadyWorkers(2);

            ScenarioPool.Accounting accounting = pool.account(ids, pool.podsThatEnded(null));
            assertThat(accounting.failed).as("only the pill failed").isEqualTo(1);
            assertThat(accounting.completed).isEqualTo(30);
            Duration longestOutage = pool.longestTimeWithoutAvailableWorkers();
            assertThat(longestOutage).as("the Deployment never stops being available for long").isLessThan(Duration.ofSeconds(30));
            System.out.printf("scenario poison pill: failed after %d prunes; %s; longest time without an available worker %d ms; %.1f s%n",
                    job.prunes(), accounting, longestOutage.toMillis(), (System.nanoTime() - begin) / 1e9);
        }
    }

    @Test
    @Order(6)
    void postgresqlRestartingUnderLoadLosesNothingAndPrunesNoLiveWorker() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "pgrestart", """
                  replicas: 2
                  threads: 2
                  shutdownTimeout: 20s
                """)) {
            List<String> workers = names(pool.awaitReadyWorkers(2));
            long begin = System.nanoTime();
            List<Long> ids = pool.enqueue("sleep", "{\"ms\": 300}", 100, 3);
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.COMPLETED) >= 10);

            cluster.stopDatabase();
            long down = System.nanoTime();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> "False".equals(pool.condition("DatabaseReachable")));
            } finally {
                // Whatever happened, the scenarios after this one need their database.
                cluster.startDatabase();
            }
            double downSeconds = (System.nanoTime() - down) / 1e9;
            await().atMost(Duration.ofSeconds(60)).until(() -> "True".equals(pool.condition("DatabaseReachable")));

            pool.awaitFinished(ids, Duration.ofMinutes(3));
            ScenarioPool.Accounting accounting = pool.account(ids, Set.of());
            assertThat(accounting.pruned).as("no live worker pruned").isZero();
            assertThat(accounting.completed).isEqualTo(ids.size());
            assertThat(pool.ends).as("no worker restarted").isEmpty();
            assertThat(names(pool.workers())).containsExactlyInAnyOrderElementsOf(workers);
            System.out.printf("scenario PostgreSQL restart: down %.1f s under load, DatabaseReachable False then True; %s; %.1f s%n",
                    downSeconds, accounting, (System.nanoTime() - begin) / 1e9);
        }
    }

    @Test
    @Order(9)
    void theLeadingOperatorKilledMidRunIsReplacedAndAWorkerThatDiedMeanwhileIsPrunedOnce() throws Exception {
        RealNode.helm().run(cluster, "upgrade", OperatorRelease.NAME, RealNode.helm().chart().toString(), "--namespace", OperatorRelease.NAMESPACE,
                "--reuse-values", "--set", "replicaCount=2", "--wait", "--timeout", "3m").requireSuccess("helm upgrade to 2 replicas");
        try (ScenarioPool pool = ScenarioPool.create(cluster, "failover", """
                  replicas: 2
                  threads: 2
                """)) {
            List<Pod> workers = pool.awaitReadyWorkers(2);
            List<Long> ids = new java.util.ArrayList<>(pool.enqueue("sleep", "{\"ms\": 20000}", 4, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.RUNNING) == 4);
            String leader = client.leases().inNamespace(OperatorRelease.NAMESPACE).withName("stevedore-operator-leader").get().getSpec()
                    .getHolderIdentity();
            Pod leaderPod = client.pods().inNamespace(OperatorRelease.NAMESPACE).withName(leader).get();
            Pod victim = workers.get(0);
            String victimName = victim.getMetadata().getName();

            // The leading operator's JVM, then a worker, both SIGKILLed from the host.
            long operatorPid = cluster.containerPid(leaderPod.getStatus().getContainerStatuses().get(0).getContainerID());
            assertThat(ProcessHandle.of(operatorPid).orElseThrow().destroyForcibly()).isTrue();
            long begin = System.nanoTime();
            pool.sigkill(victim);

            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).until(() -> ids.stream().map(pool::job)
                    .filter(j -> j.state() == JobState.FAILED).count() >= 1);
            double prunedAfter = (System.nanoTime() - begin) / 1e9;
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                var lease = client.leases().inNamespace(OperatorRelease.NAMESPACE).withName("stevedore-operator-leader").get();
                return lease.getSpec().getHolderIdentity() != null && OperatorInstall.operatorPods(client).stream()
                        .anyMatch(p -> p.getMetadata().getName().equals(lease.getSpec().getHolderIdentity()) && OperatorInstall.ready(p));
            });
            String newLeader = client.leases().inNamespace(OperatorRelease.NAMESPACE).withName("stevedore-operator-leader").get().getSpec()
                    .getHolderIdentity();
            pool.awaitFinished(ids, Duration.ofMinutes(1));
            ScenarioPool.Accounting accounting = pool.account(ids, Set.of(victimName));
            for (long id : ids) {
                long prunes = java.util.stream.StreamSupport.stream(new ObjectMapper().readTree(pool.job(id).errors()).spliterator(), false)
                        .filter(e -> e.path("class").asText().equals("ProcessPrunedError")).count();
                assertThat(prunes).as("job %s pruned at most once", id).isLessThanOrEqualTo(1);
            }
            assertThat(accounting.pruned).as("the dead worker's jobs, each once").isEqualTo(accounting.failed).isPositive();
            // The status converges: the pool's processes and readiness come back, and its prune count matches its events.
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                assertThat(pool.statusNumber("aliveProcesses")).isEqualTo(2);
                assertThat(pool.statusNumber("readyReplicas")).isEqualTo(2);
                long events = client.v1().events().inNamespace(pool.namespace).list().getItems().stream()
                        .filter(e -> "ProcessPruned".equals(e.getReason())).count();
                assertThat(pool.statusNumber("prunedTotal")).isEqualTo(events).isLessThanOrEqualTo(1);
            });
            System.out.printf("scenario operator killed: leader %s SIGKILLed, lease now held by %s; the worker that died meanwhile pruned "
                    + "%.1f s after its SIGKILL; %s%n", leader, newLeader, prunedAfter, accounting);
        }
    }

    @Test
    @Order(7)
    void aLostNodesWorkerIsPrunedOnlyOnceItsHeartbeatIsStaleAndComesBackToFindItsWritesRejected() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "nodelost", """
                  replicas: 2
                  threads: 2
                """)) {
            List<Pod> workers = pool.awaitReadyWorkers(2);
            List<Long> ids = pool.enqueue("sleep", "{\"ms\": 15000}", 4, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.RUNNING) == 4);
            Pod victim = workers.get(0);
            String victimName = victim.getMetadata().getName();
            ProcessView before = pool.process(victimName);
            List<Long> held = pool.heldBy(before.id(), ids);
            long pid = pool.workerPid(victim);

            // The node is lost: its kubelet stops reporting, and the worker lives on but can do nothing.
            cluster.stopKubelet();
            cluster.freeze(pid);
            long lost = System.nanoTime();
            JobView.JobError error;
            try {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(250))
                        .until(() -> held.stream().allMatch(id -> pool.job(id).state() == JobState.FAILED));
                error = pool.job(held.get(0)).lastError();
                assertThat(ids.stream().filter(id -> !held.contains(id)).map(id -> pool.job(id).state()))
                        .as("the live worker on the same node keeps its jobs").doesNotContain(JobState.FAILED);
            } finally {
                cluster.thaw(pid);
                cluster.startKubelet();
            }
            double prunedAfter = (System.nanoTime() - lost) / 1e9;
            assertThat(error.errorClass()).isEqualTo("ProcessPrunedError");
            assertThat(error.reason()).isIn("NodeLost", "HeartbeatExpired");
            assertThat(error.node()).isEqualTo(LocalCluster.NODE_NAME);
            assertThat(error.pod()).isEqualTo(victimName);
            Duration heartbeatAge = Duration.between(error.lastHeartbeatAt(), error.prunedAt());
            assertThat(heartbeatAge).as("nothing pruned while the heartbeat was fresh").isGreaterThanOrEqualTo(Duration.ofSeconds(5));

            // Thawed, the worker finds its row gone, registers again, and its completions of the pruned jobs are refused.
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
                    assertThat(pool.process(victimName).id()).as("registered again").isNotEqualTo(before.id()));
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                // A restarted container would answer with fresh counters: say so, rather than time out on the counter.
                assertThat(pool.ends.get(victimName)).as("the thawed worker's container ended (the JVM that held the jobs is gone)").isNull();
                assertThat(pool.metrics(victimName))
                        .containsPattern("stevedore_late_writes_rejected_total\\{pool=\"[^\"]+\",write=\"completion\"} [1-9]");
            });
            assertThat(held).allMatch(id -> pool.job(id).state() == JobState.FAILED);
            pool.awaitFinished(ids, Duration.ofMinutes(1));
            ScenarioPool.Accounting accounting = pool.account(ids, Set.of(victimName));
            assertThat(accounting.failed).isEqualTo(held.size());
            System.out.printf("scenario node lost: %s pruned %.1f s after the node was lost, heartbeat %.1f s old; back, its completions "
                    + "were refused as late writes; %s%n", error.reason(), prunedAfter, heartbeatAge.toMillis() / 1000.0, accounting);
        }
    }

    @Test
    @Order(8)
    void aForceDeletedPodWhoseWorkerLivesOnIsNotPrunedWhileItHeartbeatsButOnceItStops() throws Exception {
        try (ScenarioPool pool = ScenarioPool.create(cluster, "forcedel", """
                  replicas: 2
                  threads: 2
                """)) {
            List<Pod> workers = pool.awaitReadyWorkers(2);
            List<Long> ids = pool.enqueue("sleep", "{\"ms\": 30000}", 4, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.admin.stats().jobs().get(JobState.RUNNING) == 4);
            Pod victim = workers.get(0);
            String victimName = victim.getMetadata().getName();
            List<Long> held = pool.heldBy(pool.process(victimName).id(), ids);
            long pid = pool.workerPid(victim);

            cluster.stopKubelet();
            double stoppedAfter;
            JobView.JobError error;
            try {
                Kubectl.Result deleted = Kubectl.run(cluster, "delete", "pod", victimName, "-n", pool.namespace, "--grace-period=0", "--force");
                assertThat(deleted.exitCode()).as(deleted.output()).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> client.pods().inNamespace(pool.namespace).withName(victimName).get() == null);
                // Gone from the API, but the process runs on and heartbeats: for two alive thresholds, its jobs stay its own.
                await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15))
                        .until(() -> held.stream().allMatch(id -> pool.job(id).state() == JobState.RUNNING));
                cluster.freeze(pid);
                long frozen = System.nanoTime();
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(250))
                        .until(() -> held.stream().allMatch(id -> pool.job(id).state() == JobState.FAILED));
                stoppedAfter = (System.nanoTime() - frozen) / 1e9;
                error = pool.job(held.get(0)).lastError();
            } finally {
                cluster.thaw(pid);
                cluster.startKubelet();
            }
            assertThat(error.reason()).isIn("PodDeleted", "HeartbeatExpired");
            assertThat(error.pod()).isEqualTo(victimName);
            assertThat(Duration.between(error.lastHeartbeatAt(), error.prunedAt())).isGreaterThanOrEqualTo(Duration.ofSeconds(5));
            pool.awaitFinished(ids, Duration.ofMinutes(1));
            ScenarioPool.Accounting accounting = pool.account(ids, Set.of(victimName));
            assertThat(accounting.failed).isEqualTo(held.size());
            System.out.printf("scenario force delete: no prune while the worker heartbeated; %s %.1f s after it stopped; %s%n", error.reason(),
                    stoppedAfter, accounting);
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
}
