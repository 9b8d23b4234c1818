# The list requests of each filter kind of read_bench.sh and list_ab.sh, one
# file per kind: DIR/paths.KIND, one path a line (list.lua picks one at
# random per request).
#   python3 bench/postgres/list_paths.py DIR BASE_PATH MIN_CREATE_US MAX_CREATE_US
import sys, urllib.parse, datetime
d, base, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def ts(us): return datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
span = hi - lo
kinds = {
  'none': [''],
  'agent': [f'agent_id="agent-{k}"' for k in range(200)],
  'medium': ['medium="PHONE_CALL"', 'medium="CHAT"'],
  'time': [f'create_time>="{ts(lo + span * k // 20)}" AND create_time<"{ts(lo + span * (k + 2) // 20)}"' for k in range(18)],
  'label': [f'labels.queue="{q}"' for q in ['billing', 'sales', 'support', 'returns', 'shipping', 'fraud', 'retention', 'general']],
  'turns': ['turn_count>=10', 'turn_count<4'],
  # Every agent but those with k % 8 == 7 has billing conversations
  # (load_conversations); of an agent's, about 1 in 10 match.
  'combined': [f'agent_id="agent-{k}" AND medium="CHAT" AND labels.queue="billing" AND turn_count>=4' for k in range(200) if k % 8 != 7],
}
for kind, filters in kinds.items():
  with open(f'{d}/paths.{kind}', 'w') as f:
    for flt in filters:
      q = {'pageSize': '100'}
      if flt: q['filter'] = flt
      f.write(base + '?' + urllib.parse.urlencode(q) + '\n')
