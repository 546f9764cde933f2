package dev.stevedore.queue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A DataSource over the real one that, when armed, lets the next statements matching a marker run and commit
 * on the real server, reads their whole reply, then throws the I/O error a client gets when the connection
 * drops before the reply arrives. What the database did is real; only the answer is lost.
 */
final class LostReplies {

    private final DataSource real;
    private final String marker;
    private final AtomicInteger armed = new AtomicInteger();
    final AtomicInteger lost = new AtomicInteger();

    LostReplies(DataSource real, String marker) {
        this.real = real;
        this.marker = marker;
    }

    /** The next {@code n} matching statements lose their reply. */
    void loseNext(int n) {
        armed.set(n);
    }

    DataSource dataSource() {
        return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, m, args) -> {
            Object result = invoke(real, m, args);
            return result instanceof Connection c ? connection(c) : result;
        });
    }

    private Connection connection(Connection c) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
            Object result = invoke(c, m, args);
            if (result instanceof PreparedStatement ps && m.getName().equals("prepareStatement") && ((String) args[0]).contains(marker)) {
                return statement(ps);
            }
            return result;
        });
    }

    private PreparedStatement statement(PreparedStatement ps) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("executeQuery") && (args == null || args.length == 0) && armed.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        // the rows arrive here, and are lost on the way to the caller
                    }
                }
                lost.incrementAndGet();
                throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
            }
            return invoke(ps, m, args);
        };
        return (PreparedStatement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class}, h);
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
