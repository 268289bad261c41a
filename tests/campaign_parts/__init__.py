"""The hostile-input and fault campaign (`scripts/campaign.py`), one module per part.

Each part module has `run(ctx) -> PartResult`: it builds what it needs under `ctx.work`, attacks the
real engine, CLI or Discord bot, and records figures and every requirement it saw broken. The script
runs the parts and prints one table; `tests/test_campaign.py` runs them with the quick plan.

    questions.py     hostile questions through the CLI and the real discord.py client (fake Discord)
    corpus_faults.py hostile corpus files: bad encodings, huge, vanishing, unreadable, loops, depth
    kills.py         kill -9 of rebuilds at hooked and random moments (child: rebuild_child.py)
    write_faults.py  file-size limit and full disk in the middle of a rebuild
    tamper.py        tampered index files (each load probed in a child: tamper_probe.py)
    load.py          many users asking at once through Discord while /reindex runs
    permissions.py   the token never in any output; /reindex refused without Manage Server

Shared pieces: context.py (plan, seed, work folder, model), results.py (figures and the table),
capture.py (everything printed or logged, for the token grep), corpora.py (small test corpora),
hostile_text.py (the hostile question catalogue and generator), reply_check.py (what a correct
Discord reply is), discord_session.py (the bot against the fake server).
"""
