"""Inspiration seeds: a conditioned Transformer over ``cantus.tokens`` REMI ids.

- ``generator.model`` — the pure nn.Module (prefix + global conditioning, KV cache);
- ``generator.vocab`` — control tokens and REMI grammar tables over the one tokenizer;
- ``generator.windows`` / ``generator.train_config`` — training windows and run settings;
- ``generator.train`` — the ``build_generator`` build stage (a fixed step count);
- ``generator.checkpoint`` — checkpoint I/O;
- ``generator.sample`` — grammar-constrained, seeded decoding;
- ``generator.novelty`` — n-gram index of catalog melodies (longest copied run);
- ``generator.inspire`` — ``inspire(engine, ...)``: condition, sample, guard, export;
- ``generator.evaluate`` / ``generator.bench`` / ``generator.cli`` — reports and commands.
"""
