import { Placeholder } from '../Placeholder';

export function InspectionWorkspace() {
  return <Placeholder ns="inspection" />;
}
