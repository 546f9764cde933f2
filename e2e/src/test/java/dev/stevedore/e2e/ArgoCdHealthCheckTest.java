package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * The Argo CD health check for JobWorkerPool as the README gives it (the Lua block users paste into argocd-cm),
 * run by a real Lua interpreter (LuaJ; Argo CD runs gopher-lua, the script uses nothing where they differ) against
 * pools in each state the operator reports.
 */
class ArgoCdHealthCheckTest {

    private static final String KEY = "resource.customizations.health.stevedore.dev_JobWorkerPool: |";

    @Test
    void aPoolWithoutStatusIsProgressing() throws Exception {
        assertThat(health("metadata: {generation: 1}")).containsEntry("status", "Progressing");
    }

    @Test
    void aSpecTheOperatorHasNotSeenYetIsProgressing() throws Exception {
        assertThat(health("""
                metadata: {generation: 3}
                status:
                  observedGeneration: 2
                  conditions:
                    - {type: Available, status: "True", reason: ReplicasReady, message: "3 of 3 workers ready"}
                """)).containsEntry("status", "Progressing");
    }

    @Test
    void anInvalidSpecIsDegradedWithTheFieldAndTheFix() throws Exception {
        assertThat(health("""
                metadata: {generation: 1}
                status:
                  observedGeneration: 1
                  conditions:
                    - {type: Available, status: "True", reason: ReplicasReady, message: "1 of 1 workers ready"}
                    - {type: Degraded, status: "True", reason: InvalidSpec, message: "spec.database.secretName: Secret 'queue-db' not found"}
                """)).containsEntry("status", "Degraded").containsEntry("message", "spec.database.secretName: Secret 'queue-db' not found");
    }

    @Test
    void anUnreachableDatabaseIsDegraded() throws Exception {
        Map<String, String> health = health("""
                metadata: {generation: 1}
                status:
                  observedGeneration: 1
                  conditions:
                    - {type: Available, status: "True", reason: ReplicasReady, message: "1 of 1 workers ready"}
                    - {type: Degraded, status: "False", reason: AsExpected, message: "the pool's spec is valid"}
                    - {type: DatabaseReachable, status: "False", reason: Unreachable, message: "connection refused"}
                """);
        assertThat(health).containsEntry("status", "Degraded");
        assertThat(health.get("message")).contains("connection refused");
    }

    @Test
    void aRolloutIsProgressingAndNoReadyWorkerToo() throws Exception {
        assertThat(health("""
                metadata: {generation: 2}
                status:
                  observedGeneration: 2
                  conditions:
                    - {type: Available, status: "True", reason: ReplicasReady, message: "2 of 3 workers ready"}
                    - {type: Progressing, status: "True", reason: RollingOut, message: "1 of 3 workers updated, 2 ready"}
                """)).containsEntry("status", "Progressing").containsEntry("message", "1 of 3 workers updated, 2 ready");
        assertThat(health("""
                metadata: {generation: 1}
                status:
                  observedGeneration: 1
                  conditions:
                    - {type: Available, status: "False", reason: NoReadyWorkers, message: "no worker is ready yet"}
                """)).containsEntry("status", "Progressing");
    }

    @Test
    void anAvailablePoolIsHealthy() throws Exception {
        assertThat(health("""
                metadata: {generation: 4}
                status:
                  observedGeneration: 4
                  conditions:
                    - {type: Available, status: "True", reason: ReplicasReady, message: "3 of 3 workers ready"}
                    - {type: Progressing, status: "False", reason: RolloutComplete, message: "all 3 workers are up to date"}
                    - {type: Degraded, status: "False", reason: AsExpected, message: "the pool's spec is valid"}
                    - {type: DatabaseReachable, status: "True", reason: Connected, message: "the queue database answers"}
                """)).containsEntry("status", "Healthy").containsEntry("message", "3 of 3 workers ready");
    }

    /** Runs the README's script with {@code obj} set to the pool, as Argo CD does; returns {@code hs}. */
    private static Map<String, String> health(String poolYaml) throws Exception {
        Globals globals = JsePlatform.standardGlobals();
        globals.set("obj", lua(new ObjectMapper(new YAMLFactory()).readTree(poolYaml)));
        LuaValue hs = globals.load(script(), "health.lua").call();
        return Map.of("status", hs.get("status").tojstring(), "message", hs.get("message").isnil() ? "" : hs.get("message").tojstring());
    }

    /** The Lua block under the argocd-cm key in the README, unindented. */
    private static String script() throws Exception {
        List<String> lines = Files.readAllLines(RealNode.projectDir().resolve("README.md"));
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(KEY)) {
                start = i + 1;
                break;
            }
        }
        assertThat(start).as("the README gives the health check under %s", KEY).isPositive();
        String indent = lines.get(start).substring(0, lines.get(start).length() - lines.get(start).stripLeading().length());
        StringBuilder script = new StringBuilder();
        for (int i = start; i < lines.size() && (lines.get(i).startsWith(indent) || lines.get(i).isBlank()); i++) {
            script.append(lines.get(i).isBlank() ? "" : lines.get(i).substring(indent.length())).append('\n');
        }
        return script.toString();
    }

    private static LuaValue lua(JsonNode node) {
        if (node.isObject()) {
            LuaTable table = new LuaTable();
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                table.set(field.getKey(), lua(field.getValue()));
            }
            return table;
        }
        if (node.isArray()) {
            LuaTable table = new LuaTable();
            for (int i = 0; i < node.size(); i++) {
                table.set(i + 1, lua(node.get(i)));
            }
            return table;
        }
        if (node.isIntegralNumber()) {
            return LuaValue.valueOf(node.asInt());
        }
        if (node.isNumber()) {
            return LuaValue.valueOf(node.asDouble());
        }
        if (node.isBoolean()) {
            return LuaValue.valueOf(node.asBoolean());
        }
        return node.isNull() ? LuaValue.NIL : LuaValue.valueOf(node.asText());
    }
}
