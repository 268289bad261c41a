"""The bot's per-user cooldown: the rate it promises, and a table that forgets users once their window
has passed (a bot in big servers meets hundreds of thousands of users)."""

from __future__ import annotations

from bot.discord.workers import Cooldown


def test_a_user_may_ask_rate_questions_per_window_and_is_told_how_long_to_wait():
    cooldown = Cooldown(2, 30)
    assert [cooldown.retry_after(7, now) for now in (100.0, 101.0)] == [0.0, 0.0]
    assert cooldown.retry_after(7, 102.0) == 28.0
    assert cooldown.retry_after(8, 102.0) == 0.0, "another user has a window of their own"
    assert cooldown.retry_after(7, 131.0) == 0.0, "the window has passed"


def test_the_table_forgets_users_whose_window_has_passed():
    cooldown = Cooldown(5, 30)
    for user in range(3_000):
        cooldown.retry_after(user, 1000.0)
    assert len(cooldown) == 3_000
    cooldown.retry_after(1, 1031.0)
    assert len(cooldown) == 1
