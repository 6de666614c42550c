/* The crash benchmark of bench/crash_extraction.py for SPIN: B brokers unpack a K-file
   archive into temporary directories of their own and rename one onto the target,
   while up to CRASHES crashes hit any broker in any state. Every step of the
   lifecheck model is one d_step here, so each is one transition and no state between
   its statements is stored; a crash is one more option of each broker's loop. The two
   invariants are asserted at the end of every step (the initial state meets them).
   Checked with partial-order reduction off (-DNOREDUCE); distinct states and
   transitions equal lifecheck's, the initial state counted as a transition by both. */
#ifndef B
#define B 2
#endif
#ifndef K
#define K 2
#endif
#ifndef CRASHES
#define CRASHES 1
#endif

/* phases, as numbered in the lifecheck model */
#define BOOT 0
#define UNPACK 1
#define WRITE 2
#define RENAME 3
#define LOAD 4
#define RUNNING 5
/* what a directory holds for each file */
#define ABSENT 0
#define EMPTY 1
#define FULL 2
#define NOT_LOADED 255

byte phase[B];
byte unpacked[B];
byte complete[B] = NOT_LOADED;      /* volatile: what a crash forgets */
bool tmp_exists[B];
byte tmp[B * K];                    /* durable: broker b's file i is tmp[b * K + i] */
bool target_exists;
byte target[K];
byte crashes;

/* no_partial_load and no_clobber, checked after every step */
inline invariants() {
  i = 0;
  do
  :: i < B ->
     assert(complete[i] == NOT_LOADED || complete[i] == K);
     if
     :: phase[i] == RUNNING ->
        j = 0;
        do
        :: j < K -> assert(target[j] == FULL); j++
        :: else -> break
        od
     :: else -> skip
     fi;
     i++
  :: else -> break
  od;
  i = 0;
  j = 0
}

active [B] proctype broker() {
  byte i, j;   /* scratch for loops inside a step; 0 between steps, so never a new state */
end:
  do
  :: d_step {   /* boot */
       phase[_pid] == BOOT ->
       if
       :: tmp_exists[_pid] ->
          i = 0;
          do
          :: i < K -> tmp[_pid * K + i] = ABSENT; i++
          :: else -> break
          od
       :: else -> skip
       fi;
       if
       :: target_exists -> tmp_exists[_pid] = false; phase[_pid] = LOAD
       :: else -> tmp_exists[_pid] = true; phase[_pid] = UNPACK
       fi;
       invariants()
     }
  :: d_step {   /* create */
       phase[_pid] == UNPACK ->
       tmp[_pid * K + unpacked[_pid]] = EMPTY;
       phase[_pid] = WRITE;
       invariants()
     }
  :: d_step {   /* write */
       phase[_pid] == WRITE ->
       tmp[_pid * K + unpacked[_pid]] = FULL;
       unpacked[_pid]++;
       if
       :: unpacked[_pid] < K -> phase[_pid] = UNPACK
       :: else -> phase[_pid] = RENAME
       fi;
       invariants()
     }
  :: d_step {   /* rename: whole onto an absent target; onto an existing one it fails */
       phase[_pid] == RENAME ->
       i = 0;
       do
       :: i < K ->
          if
          :: !target_exists -> target[i] = tmp[_pid * K + i]
          :: else -> skip
          fi;
          tmp[_pid * K + i] = ABSENT;
          i++
       :: else -> break
       od;
       target_exists = true;
       tmp_exists[_pid] = false;
       phase[_pid] = LOAD;
       invariants()
     }
  :: d_step {   /* load */
       phase[_pid] == LOAD ->
       complete[_pid] = 0;
       i = 0;
       do
       :: i < K ->
          if
          :: target[i] == FULL -> complete[_pid]++
          :: else -> skip
          fi;
          i++
       :: else -> break
       od;
       phase[_pid] = RUNNING;
       invariants()
     }
  :: d_step {   /* crash: in any state while the budget lasts; the disk stays */
       crashes < CRASHES ->
       crashes++;
       phase[_pid] = BOOT;
       unpacked[_pid] = 0;
       complete[_pid] = NOT_LOADED;
       invariants()
     }
  od
}
