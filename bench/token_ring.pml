/* The token ring of models/classic/token_ring.py for SPIN: N stations pass one token,
   the round counter goes up when it comes back to the first, up to ROUNDS. One long
   chain of N x ROUNDS states (plus the initial one). */
#ifndef N
#define N 3
#endif
#ifndef ROUNDS
#define ROUNDS 1000
#endif
bool token[N];
int round = 0;

active proctype starter() {
  atomic { round == 0 -> token[0] = true; round = 1 }
}

active [N] proctype station() {
end:
  do
  :: atomic { token[_pid - 1] && round < ROUNDS ->
       token[_pid - 1] = false;
       token[_pid % N] = true;
       if
       :: _pid % N == 0 -> round++
       :: else -> skip
       fi }
  od
}
