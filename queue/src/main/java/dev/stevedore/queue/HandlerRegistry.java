package dev.stevedore.queue;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Handler names to code. A job whose handler is not registered fails at once, without retry. */
public final class HandlerRegistry {

    private final Map<String, JobHandler> handlers;

    private HandlerRegistry(Map<String, JobHandler> handlers) {
        this.handlers = Collections.unmodifiableMap(new LinkedHashMap<>(handlers));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Optional<JobHandler> find(String name) {
        return Optional.ofNullable(handlers.get(name));
    }

    public Set<String> names() {
        return handlers.keySet();
    }

    public static final class Builder {
        private final Map<String, JobHandler> handlers = new LinkedHashMap<>();

        public Builder register(String name, JobHandler handler) {
            if (name == null || !NewJob.HANDLER.matcher(name).matches()) {
                throw new IllegalArgumentException("handler name '" + name + "' is invalid: use 1 to 200 letters, digits, '_', '.', ':', '$' or '-'");
            }
            if (handlers.putIfAbsent(name, Objects.requireNonNull(handler, "handler")) != null) {
                throw new IllegalArgumentException("handler '" + name + "' is registered twice");
            }
            return this;
        }

        public HandlerRegistry build() {
            return new HandlerRegistry(handlers);
        }
    }
}
