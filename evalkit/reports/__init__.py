"""Reports: results tables, run comparison, the CI gate, the leaderboard, HTML reports and plots."""
