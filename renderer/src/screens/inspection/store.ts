/** Per-station preferences of the inspection workbench, kept in localStorage (zustand persist). */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export interface InspectionPrefs {
  /** the product the station inspects */
  productId: number | null;
  /** the camera chosen last (MediaDeviceInfo.deviceId) */
  cameraId: string | null;
  /** station kiosk mode: no workspace navigation, larger controls */
  kiosk: boolean;
  /** heatmap overlay opacity 0..1 */
  overlayOpacity: number;
  showOverlay: boolean;
  showMask: boolean;
  showComparison: boolean;
  /** show each new inspection of the watched folder for the selected product */
  followLine: boolean;
  set(p: Partial<Omit<InspectionPrefs, 'set'>>): void;
}

export const useInspectionPrefs = create<InspectionPrefs>()(
  persist(
    (set) => ({
      productId: null,
      cameraId: null,
      kiosk: false,
      overlayOpacity: 0.6,
      showOverlay: true,
      showMask: true,
      showComparison: false,
      followLine: false,
      set: (p) => set(p),
    }),
    { name: 'linedeck.inspection' },
  ),
);
