-- Fold one measured generation time into the moving averages (its class and overall).
-- KEYS: durations
-- ARGV: class_field, seconds, weight_of_new
fold_duration(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
