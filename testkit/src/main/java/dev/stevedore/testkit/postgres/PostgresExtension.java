package dev.stevedore.testkit.postgres;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test class (and each {@code @Nested} class) a fresh database on the JVM's test server, and
 * drops it when the class is done. Tests receive it as a {@link TestDatabase} or {@link DataSource}
 * parameter of a constructor, lifecycle method or test method.
 *
 * <pre>{@code
 * @ExtendWith(PostgresExtension.class)
 * class QueueTest {
 *     @Test void claims(TestDatabase db) { ... }
 * }
 * }</pre>
 */
public final class PostgresExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresExtension.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    @Override
    public void beforeAll(ExtensionContext context) {
        databaseFor(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestDatabase.class || type == DataSource.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        TestDatabase database = databaseFor(context);
        return parameter.getParameter().getType() == DataSource.class ? database.dataSource() : database;
    }

    /** The database of the innermost test class around {@code context}, created on first use. */
    private static TestDatabase databaseFor(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent()) {
            classContext = classContext.getParent().orElseThrow();
        }
        ExtensionContext owner = classContext;
        // Keyed by the class context's id, so a nested class does not inherit its outer class's database.
        return owner.getStore(NAMESPACE)
                .getOrComputeIfAbsent(owner.getUniqueId(), id -> new CreatedDatabase(create(owner)), CreatedDatabase.class)
                .database();
    }

    private static TestDatabase create(ExtensionContext classContext) {
        String className = classContext.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        String name = "t_" + className.substring(0, Math.min(40, className.length())) + "_" + SEQUENCE.incrementAndGet()
                + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        return TestPostgres.server().createDatabase(name);
    }

    /** Drops the database when JUnit closes the class's store. */
    private record CreatedDatabase(TestDatabase database) implements AutoCloseable {
        @Override
        public void close() {
            database.server().dropDatabase(database.name());
        }
    }
}
