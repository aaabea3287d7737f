/** React Query over the typed client: loading, error, refetch and cache states for every screen. */
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import type { Contract, ProcedureName } from '../../../main/api/contract';
import type { InputOf, OutputOf } from '../../../main/api/kit';
import { call, CallError } from './client';

export function useCall<N extends ProcedureName>(
  name: N,
  input: InputOf<Contract[N]>,
  opts: Omit<UseQueryOptions<OutputOf<Contract[N]>, CallError>, 'queryKey' | 'queryFn'> = {},
) {
  return useQuery<OutputOf<Contract[N]>, CallError>({ queryKey: [name, input], queryFn: () => call(name, input), ...opts });
}

/** A mutation that invalidates the given procedures' queries on success. */
export function useCallMutation<N extends ProcedureName>(name: N, invalidate: ProcedureName[] = []) {
  const qc = useQueryClient();
  return useMutation<OutputOf<Contract[N]>, CallError, InputOf<Contract[N]>>({
    mutationFn: (input) => call(name, input),
    onSuccess: async () => {
      await Promise.all(invalidate.map((n) => qc.invalidateQueries({ queryKey: [n] })));
    },
  });
}
