/* Dining philosophers with the resource-ordering fix, for SPIN: the same model as
   models/classic/philosophers.py (forks as booleans, four atomic steps per philosopher,
   lower-numbered fork first). Checked with partial-order reduction off (-DNOREDUCE)
   so SPIN counts the same states as lifecheck: N=10 gives 102,571 states and
   714,869 transitions, N=12 gives 1,118,878 and 9,415,129. */
#ifndef N
#define N 10
#endif
bool fork[N];

active [N] proctype phil() {
  byte first = (_pid < (_pid + 1) % N -> _pid : (_pid + 1) % N);
  byte second = (_pid < (_pid + 1) % N -> (_pid + 1) % N : _pid);
end:
  do
  :: atomic { !fork[first] -> fork[first] = true };
     atomic { !fork[second] -> fork[second] = true };
     fork[second] = false;
     fork[first] = false
  od
}
