"""Orders as transaction processes: process definitions, actions, the engine, timers."""
